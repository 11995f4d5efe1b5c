SELECT
  `customers`.`customer_id` AS `customer_id`,
  (
    `customers`.`first_name` || ' ' || `customers`.`last_name`
  ) AS `full_name`
FROM `customers` AS `customers`
