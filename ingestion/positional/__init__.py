"""Positional (fixed-width) files: layouts as code, a streaming converter to bronze Parquet, the day gate."""

from ingestion.positional.converter import SOURCE, convert_file, convert_stream, landing_key
from ingestion.positional.layout import Layout, LayoutError, layout_for_filename, load_layout, load_layouts
from ingestion.positional.tables import positional_bronze_tables

__all__ = [
    "SOURCE",
    "Layout",
    "LayoutError",
    "convert_file",
    "convert_stream",
    "landing_key",
    "layout_for_filename",
    "load_layout",
    "load_layouts",
    "positional_bronze_tables",
]
