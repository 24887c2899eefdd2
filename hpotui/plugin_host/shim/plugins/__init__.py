"""The ``plugins`` package WML-A search plugins import from."""
