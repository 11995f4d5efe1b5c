SELECT
  `o`.`order_id` AS `order_id`,
  `o`.`order_date` AS `order_date`,
  `oi`.`quantity` AS `quantity`,
  `p`.`product_name` AS `product_name`
FROM `orders` AS `o`
INNER JOIN `order_items` AS `oi`
  ON `o`.`order_id` = `oi`.`order_id`
INNER JOIN `products` AS `p`
  ON `oi`.`product_id` = `p`.`product_id`
