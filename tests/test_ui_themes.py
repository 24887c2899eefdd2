"""Themes: read from themes/*.tcss, shipped in the package, chosen by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpotui.errors import HpotuiError
from hpotui.ui.themes import load_themes, parse_theme, resolve_theme, theme_folder

ROOT = Path(__file__).resolve().parents[1]


def test_the_three_themes_load_from_the_package_folder() -> None:
    themes = {theme.name: theme for theme in load_themes()}
    assert set(themes) == {"hpotui-dark", "hpotui-light", "hpotui-high-contrast"}
    assert themes["hpotui-light"].dark is False
    assert themes["hpotui-high-contrast"].background == "#000000"
    packaged = sorted(p.name for p in theme_folder().glob("*.tcss"))
    assert packaged == sorted(p.name for p in (ROOT / "themes").glob("*.tcss"))


def test_a_theme_without_primary_names_the_missing_line() -> None:
    with pytest.raises(HpotuiError, match=r"sets no \$primary"):
        parse_theme("odd", "$background: #000000;")


def test_names_resolve_with_or_without_the_prefix() -> None:
    known = {"hpotui-dark", "hpotui-light", "textual-dark"}
    assert resolve_theme("light", known) == "hpotui-light"
    assert resolve_theme("textual-dark", known) == "textual-dark"
    with pytest.raises(HpotuiError, match="choose one of dark, light"):
        resolve_theme("neon", known)
