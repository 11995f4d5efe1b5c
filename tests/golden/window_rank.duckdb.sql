SELECT
  "employees"."employee_id" AS "employee_id",
  "employees"."department_id" AS "department_id",
  "employees"."hire_date" AS "hire_date",
  RANK() OVER (PARTITION BY "employees"."department_id" ORDER BY "employees"."hire_date" DESC) AS "hire_rank"
FROM "employees" AS "employees"
WHERE
  NOT "employees"."department_id" IS NULL
