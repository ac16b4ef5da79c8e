"""Wiring: events, schedules, the local Glue runner, the `lakehouse` command, infrastructure."""
