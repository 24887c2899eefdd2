"""Only the dashboard imports Textual: the engine, backends and CLI stay without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _non_ui_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "hpotui").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "ui" in parts[:2] or parts[-1] == "__main__":
            continue
        names.append(".".join(p for p in parts if p != "__init__"))
    return names


def test_no_module_outside_the_dashboard_loads_textual() -> None:
    modules = _non_ui_modules()
    assert "hpotui.cli.ui" in modules and "hpotui.backends.replay" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
