"""``logger``: the module-level logger WML-A plugins write to.

Its lines go to the plugin process's standard error, which hpotui sends to the
plugin log. The level comes from ``HPOTUI_PLUGIN_LOG_LEVEL`` (the ``--log-level``
given at install), INFO by default.
"""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger("plugin")

if not logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(os.environ.get("HPOTUI_PLUGIN_LOG_LEVEL", "INFO").upper())
    logger.propagate = False
