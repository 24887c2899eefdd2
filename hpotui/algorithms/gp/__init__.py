"""Gaussian-process Bayesian optimization: kernel, model, acquisition, optimizer."""
