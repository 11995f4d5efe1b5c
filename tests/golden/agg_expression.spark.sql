SELECT
  `order_items`.`product_id` AS `product_id`,
  SUM(`order_items`.`quantity` * `order_items`.`unit_price`) AS `revenue`,
  COUNT(DISTINCT `order_items`.`order_id`) AS `orders`,
  ROUND(AVG(`order_items`.`discount`), 3) AS `avg_discount`
FROM `order_items` AS `order_items`
GROUP BY
  `order_items`.`product_id`
