"""Client files: three daily deliveries (Parquet, pipe-delimited CSV, JSON) about the same clients."""
