SELECT
  'customer' AS `person_type`,
  `customers`.`customer_id` AS `person_id`,
  `customers`.`first_name` AS `first_name`,
  `customers`.`last_name` AS `last_name`
FROM `customers` AS `customers`
UNION ALL
SELECT
  'employee' AS `person_type`,
  `employees`.`employee_id` AS `employee_id`,
  `employees`.`first_name` AS `first_name`,
  `employees`.`last_name` AS `last_name`
FROM `employees` AS `employees`
