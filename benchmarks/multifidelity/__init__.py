"""Multi-fidelity benchmark: Hyperband, ASHA, BOHB and stopping rules vs Optuna."""
