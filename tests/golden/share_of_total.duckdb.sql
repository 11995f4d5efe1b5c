SELECT
  "orders"."channel" AS "channel",
  COUNT(*) AS "n",
  CAST(COUNT(*) AS DOUBLE) / NULLIF(SUM(COUNT(*)) OVER (), 0) AS "share"
FROM "orders" AS "orders"
GROUP BY
  "orders"."channel"
