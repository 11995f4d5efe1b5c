SELECT
  "products"."product_id" AS "product_id",
  "products"."category_id" AS "category_id",
  "products"."unit_price" AS "unit_price",
  RANK() OVER (
    PARTITION BY "products"."category_id"
    ORDER BY "products"."unit_price" DESC NULLS LAST
  ) AS "price_rank"
FROM "products" AS "products"
WHERE
  NOT "products"."category_id" IS NULL
