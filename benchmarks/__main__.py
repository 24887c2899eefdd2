"""``python -m benchmarks``: the algorithm benchmark suite."""

from __future__ import annotations

from benchmarks.algorithms import main

if __name__ == "__main__":
    main()
