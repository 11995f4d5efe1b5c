SELECT
  `c`.`customer_id` AS `customer_id`,
  `a`.`id` AS `id`,
  `a`.`owner_customer_id` AS `owner_customer_id`
FROM `customers` AS `c`
FULL JOIN `accounts` AS `a`
  ON `c`.`customer_id` = `a`.`owner_customer_id`
