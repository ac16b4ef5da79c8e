"""Glue job entry points. Each runs unchanged on Glue 5.0 and on the local Spark."""
