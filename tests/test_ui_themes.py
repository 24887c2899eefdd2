"""Themes: read from themes/*.tcss, shipped in the package, chosen by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from uihelpers import replay_app, settle

from hpotui.errors import HpotuiError
from hpotui.ui.screens.monitor import MonitorScreen
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


async def test_the_command_palette_switches_to_a_packaged_theme() -> None:
    app = replay_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "hpotui-dark"
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")  # the palette's theme command
        await pilot.pause(0.3)
        await pilot.press(*"high")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "hpotui-high-contrast"
        assert isinstance(app.screen, MonitorScreen)
