"""Publication libraries: MySQL, OpenSearch, dashboards. They import nothing from the entry points."""
