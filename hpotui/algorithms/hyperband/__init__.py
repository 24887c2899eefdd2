"""Hyperband and its variants: synchronous, asynchronous (ASHA) and model-based (BOHB).

:func:`plan` gives the bracket schedule in exact arithmetic; the algorithms register
themselves as ``Hyperband``, ``ASHA`` and ``BOHB``.
"""

from hpotui.algorithms.hyperband.schedule import (
    Bracket,
    HyperbandSettings,
    Rung,
    parse_settings,
    plan,
)

__all__ = ["Bracket", "HyperbandSettings", "Rung", "parse_settings", "plan"]
