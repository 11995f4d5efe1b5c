SELECT
  `page_views`.`view_id` AS `view_id`,
  `page_views`.`session_id` AS `session_id`,
  `page_views`.`page_url` AS `page_url`,
  `page_views`.`viewed_at` AS `viewed_at`
FROM (
  SELECT DISTINCT
    *
  FROM `page_views` AS `page_views`
) AS `page_views`
