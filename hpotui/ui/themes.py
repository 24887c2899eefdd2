"""The dashboard's themes, read from the ``.tcss`` files in ``themes/``.

A theme file declares Textual theme variables (``$primary: #4ea1ff;``). The files
live in the top-level ``themes/`` folder; ``hpotui/ui/themes`` links to it, so an
installed package carries them as ``hpotui/ui/themes/*.tcss``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from textual.theme import Theme

from hpotui.errors import HpotuiError

PREFIX = "hpotui-"
DEFAULT_THEME = "dark"
_VARIABLE = re.compile(r"^\s*\$([a-z-]+)\s*:\s*([^;]+);", re.MULTILINE)
_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
)


def theme_folder() -> Path:
    """Where the theme files are: inside the package, else the checkout's folder."""
    packaged = resources.files("hpotui.ui").joinpath("themes")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "themes"


def parse_theme(name: str, text: str) -> Theme:
    """A Textual theme from the variables of one theme file.

    Raises:
        HpotuiError: The file lacks ``$primary``.
    """
    values = dict(_VARIABLE.findall(text))
    if "primary" not in values:
        raise HpotuiError(
            f"theme {name!r} sets no $primary; add a line such as `$primary: #4ea1ff;`",
            title="Theme",
        )
    colours = {key: values[key].strip() for key in _COLOURS if key in values}
    dark = values.get("dark", "true").strip().lower() != "false"
    return Theme(name=PREFIX + name, dark=dark, **colours)


def load_themes(folder: Path | None = None) -> list[Theme]:
    """Every theme in ``folder`` (default: :func:`theme_folder`), sorted by name."""
    folder = folder or theme_folder()
    return [
        parse_theme(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.tcss"))
    ]


def resolve_theme(name: str, known: set[str]) -> str:
    """The Textual theme name for ``name`` (``dark`` is ``hpotui-dark``).

    Raises:
        HpotuiError: No theme has that name; the message lists the choices.
    """
    for candidate in (PREFIX + name, name):
        if candidate in known:
            return candidate
    ours = sorted(t.removeprefix(PREFIX) for t in known if t.startswith(PREFIX))
    raise HpotuiError(
        f"no theme named {name!r}; choose one of {', '.join(ours)} "
        "or a built-in Textual theme such as textual-dark",
        title="Theme",
    )
