"""Benchmarks: each `python -m bench.<name>` prints a table of figures and ratios; `python -m bench` lists them."""
