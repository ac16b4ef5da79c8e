"""The Aurora source: a daily snapshot of the configured tables of an operational database into bronze.

``extract_tables`` reads PostgreSQL (``COPY`` streamed into Arrow), MySQL/MariaDB (unbuffered cursor)
or SQLite (the demo's stand-in) in bounded batches, one consistent snapshot for all tables, and lands
each table as ``bronze/aurora/<table>/extraction_date=<D>/data.parquet`` with faithful types
(``columns``), replacing that day in one step and keeping earlier days (``landing``). Column drift is
handled by the documented policy in ``drift``; every table gets a manifest (rows read = rows landed).
``aurora_bronze_tables`` declares the extracted tables to the catalog from their latest file.
"""
