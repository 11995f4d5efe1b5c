SELECT
  "c"."customer_id" AS "customer_id",
  COUNT("o"."order_id") AS "order_count"
FROM "customers" AS "c"
LEFT JOIN "orders" AS "o"
  ON "c"."customer_id" = "o"."customer_id"
GROUP BY
  "c"."customer_id"
