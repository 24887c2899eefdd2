"""The WML-A remote backend: the only package that speaks HTTP as a client."""

from __future__ import annotations

from hpotui.backends.wmla.backend import WmlaBackend

__all__ = ["WmlaBackend"]
