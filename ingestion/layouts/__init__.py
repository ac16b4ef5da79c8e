"""Positional layouts (one ``<name>.yml`` per layout); a package only so the YAML ships with the code."""
