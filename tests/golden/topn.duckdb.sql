SELECT
  "orders"."order_id" AS "order_id",
  "orders"."amount" AS "amount"
FROM "orders" AS "orders"
ORDER BY
  "amount" DESC
LIMIT 3
