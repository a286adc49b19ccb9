"""PMO reports: aggregations in SQL (`queries`), item analysis (`items`), CSV
export (`csv_export`), learning-record export (`export`) and the /admin views."""
