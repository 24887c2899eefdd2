"""hpotui: hyperparameter search from the terminal."""

__version__ = "0.1.0"
