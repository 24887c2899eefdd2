"""Benchmarks of hpotui's search algorithms against Optuna, hyperopt and skopt."""

import os

# Every method runs single-threaded, so timings compare algorithms rather than
# how well each library's thread pool copes with a busy machine.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
