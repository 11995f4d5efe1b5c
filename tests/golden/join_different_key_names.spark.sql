SELECT
  `c`.`customer_id` AS `customer_id`,
  SUM(`a`.`balance`) AS `total_balance`
FROM `customers` AS `c`
INNER JOIN `accounts` AS `a`
  ON `c`.`customer_id` = `a`.`owner_customer_id`
GROUP BY
  `c`.`customer_id`
