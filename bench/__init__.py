"""Benchmarks: python -m bench.<name> [--quick]; each runs ours and the naive approach in one run."""
