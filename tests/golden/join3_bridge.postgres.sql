SELECT
  "oi"."order_item_id" AS "order_item_id",
  "p"."product_name" AS "product_name",
  "c"."category_name" AS "category_name"
FROM "order_items" AS "oi"
INNER JOIN "products" AS "p"
  ON "oi"."product_id" = "p"."product_id"
INNER JOIN "categories" AS "c"
  ON "p"."category_id" = "c"."category_id"
