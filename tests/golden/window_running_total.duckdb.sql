SELECT
  "orders"."order_id" AS "order_id",
  "orders"."customer_id" AS "customer_id",
  SUM("orders"."amount") OVER (
    PARTITION BY "orders"."customer_id"
    ORDER BY "orders"."order_date" ASC, "orders"."order_id" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "running_amount"
FROM "orders" AS "orders"
WHERE
  NOT "orders"."amount" IS NULL
