SELECT
  `_dm_w`.`customer_id`,
  `_dm_w`.`order_id`,
  `_dm_w`.`amount`,
  `_dm_w`.`rn`
FROM (
  SELECT
    `orders`.`customer_id` AS `customer_id`,
    `orders`.`order_id` AS `order_id`,
    `orders`.`amount` AS `amount`,
    ROW_NUMBER() OVER (
      PARTITION BY `orders`.`customer_id`
      ORDER BY `orders`.`amount` DESC, `orders`.`order_id` ASC NULLS LAST
    ) AS `rn`
  FROM `orders` AS `orders`
  WHERE
    NOT `orders`.`amount` IS NULL
) AS `_dm_w`
WHERE
  `_dm_w`.`rn` <= 2
