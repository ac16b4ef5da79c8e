"""Benchmarks (`make bench`): ours against the naive approach, side by side in one run, as ratios."""
