"""Benchmarks: each module runs as `python -m bench.<name>` and prints a table of figures and ratios."""
