"""Benchmarks of hpotui's search algorithms against Optuna, hyperopt and skopt."""
