"""Bring-your-own-algorithm: WML-A style search plugins, run in their own process.

``installed`` keeps the plugins of a workspace, ``process`` runs one, ``algorithm``
wraps it as an :class:`~hpotui.algorithms.Algorithm`, and ``wmla_form`` documents
and builds what the plugin sees.
"""
