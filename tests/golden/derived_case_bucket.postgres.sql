SELECT
  "orders"."order_id" AS "order_id",
  (
    CASE
      WHEN "orders"."amount" IS NULL
      THEN 'none'
      WHEN "orders"."amount" > 500
      THEN 'high'
      ELSE 'low'
    END
  ) AS "size",
  (
    EXTRACT(YEAR FROM "orders"."order_date")
  ) AS "order_year"
FROM "orders" AS "orders"
