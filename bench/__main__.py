"""`python -m bench` lists the benchmarks."""

import pkgutil
from pathlib import Path

HELPERS = {"common"}

if __name__ == "__main__":
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not module.name.startswith("_") and module.name not in HELPERS:
            print(f"python -m bench.{module.name}")
