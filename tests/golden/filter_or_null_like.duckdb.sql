SELECT
  "customers"."customer_id" AS "customer_id",
  "customers"."first_name" AS "first_name",
  "customers"."last_name" AS "last_name",
  "customers"."email" AS "email",
  "customers"."city" AS "city",
  "customers"."segment" AS "segment",
  "customers"."signup_date" AS "signup_date"
FROM "customers" AS "customers"
WHERE
  (
    (
      "customers"."email" IS NULL
    )
    OR (
      "customers"."email" LIKE '%example.com'
    )
  )
  AND NOT (
    "customers"."segment" = 'corporate'
  )
