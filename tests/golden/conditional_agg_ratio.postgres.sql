SELECT
  "orders"."channel" AS "channel",
  COUNT(*) AS "orders",
  COUNT(CASE WHEN "orders"."status" = 'cancelled' THEN 1 END) AS "cancelled",
  (
    ROUND(
      CAST(CAST(100.0 * COUNT(CASE WHEN "orders"."status" = 'cancelled' THEN 1 END) AS DOUBLE PRECISION) / COUNT(*) AS DECIMAL),
      2
    )
  ) AS "cancel_rate_pct"
FROM "orders" AS "orders"
GROUP BY
  "orders"."channel"
