SELECT
  "orders"."order_id" AS "order_id",
  "orders"."customer_id" AS "customer_id",
  "orders"."amount" AS "amount"
FROM "orders" AS "orders"
WHERE
  "orders"."status" IN ('completed', 'shipped')
  AND "orders"."order_date" BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-03-31' AS DATE)
