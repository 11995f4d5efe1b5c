SELECT
  `orders`.`channel` AS `channel`,
  COUNT(*) AS `orders`,
  COUNT(CASE WHEN `orders`.`status` = 'cancelled' THEN 1 END) AS `cancelled`,
  (
    ROUND(100.0 * COUNT(CASE WHEN `orders`.`status` = 'cancelled' THEN 1 END) / COUNT(*), 2)
  ) AS `cancel_rate_pct`
FROM `orders` AS `orders`
GROUP BY
  `orders`.`channel`
