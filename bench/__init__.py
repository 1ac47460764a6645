"""Benchmarks: each `python -m bench.<name>` prints a table of figures and ratios."""
