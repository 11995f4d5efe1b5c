SELECT
  `c`.`customer_id` AS `customer_id`,
  SUM(`o`.`amount`) AS `total_amount`
FROM `customers` AS `c`
INNER JOIN `orders` AS `o`
  ON `c`.`customer_id` = `o`.`customer_id`
GROUP BY
  `c`.`customer_id`
HAVING
  SUM(`o`.`amount`) > 1000
