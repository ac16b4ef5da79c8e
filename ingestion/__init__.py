"""Ingestion library: validation, parsing and landing of the four sources into bronze."""
