"""The shared spine: settings, lake layout, object store, secrets, calendar, day gate, job launchers,
the source registry and the one backend factory. Imports nothing above it."""
