SELECT
  "d"."department_name" AS "department_name",
  COUNT("e"."employee_id") AS "employee_count"
FROM "employees" AS "e"
RIGHT JOIN "departments" AS "d"
  ON "e"."department_id" = "d"."department_id"
GROUP BY
  "d"."department_name"
