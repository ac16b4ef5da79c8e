"""Positional (fixed-width) files: layouts as code, a streaming converter to bronze Parquet, the day gate."""
