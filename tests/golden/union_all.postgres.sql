SELECT
  'client' AS "source",
  "customers"."last_name" AS "last_name",
  "customers"."signup_date" AS "joined_on"
FROM "customers" AS "customers"
UNION ALL
SELECT
  'staff' AS "source",
  "employees"."last_name" AS "last_name",
  "employees"."hire_date" AS "hire_date"
FROM "employees" AS "employees"
