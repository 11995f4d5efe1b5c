SELECT
  "orders"."customer_id" AS "customer_id",
  "orders"."order_id" AS "order_id",
  "orders"."order_date" AS "order_date"
FROM (
  SELECT
    *
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (
        PARTITION BY "orders"."customer_id"
        ORDER BY "orders"."order_date" DESC NULLS LAST
      ) AS "_dm_rn"
    FROM "orders" AS "orders"
    WHERE
      "orders"."status" <> 'cancelled'
  ) AS "orders"
  WHERE
    "orders"."_dm_rn" = 1
) AS "orders"
