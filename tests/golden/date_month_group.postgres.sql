SELECT
  (
    CAST(DATE_TRUNC('MONTH', "orders"."order_date") AS DATE)
  ) AS "month",
  COUNT(*) AS "order_count",
  MAX("orders"."amount") AS "max_amount"
FROM "orders" AS "orders"
GROUP BY
  (
    CAST(DATE_TRUNC('MONTH', "orders"."order_date") AS DATE)
  )
ORDER BY
  "month" ASC
