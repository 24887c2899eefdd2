"""Widgets of the dashboard: trial table, plots, progress, best panel, brackets."""
