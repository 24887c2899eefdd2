"""Modules a plugin process sees on its path, and nothing else.

This folder goes on the plugin process's ``sys.path`` only, so that plugins written
for WML-A (``from plugins.core.base_plugin_opt import BasePluginOptimizer``) import
unchanged, without a top-level ``plugins`` package in the engine's environment.
"""
