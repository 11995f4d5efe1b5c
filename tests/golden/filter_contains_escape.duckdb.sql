SELECT
  "orders"."order_id" AS "order_id"
FROM "orders" AS "orders"
WHERE
  "orders"."discount_code" LIKE '%COME1%' ESCAPE '\' AND "orders"."amount" >= 100
