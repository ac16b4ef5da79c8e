"""Lambda handlers: a few lines each over the ingestion and serving libraries."""
