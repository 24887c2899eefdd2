"""Experiment files: the pydantic model, the YAML and WML-A loaders, validation.

This package knows nothing of running experiments.
"""
