"""The embedded engine: scheduler, executors, trial runner, stop rules and events.

Nothing here imports Textual.
"""
