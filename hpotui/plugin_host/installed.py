"""Plugins installed in a workspace: ``<workspace>/plugins/<name>/``.

Each install holds a copy of the plugin folder in ``code/`` (so editing or deleting
the original does not change experiments) and a ``plugin.json`` descriptor shaped
like WML-A's algorithm descriptor (``name``, ``path``, ``creator``, ``createtime``,
``type``, ``remoteExec``, ``logLevel``) plus ``source`` and ``python``.
"""

from __future__ import annotations

import ast
import getpass
import json
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hpotui.algorithms.registry import builtin_names
from hpotui.errors import PluginStoreError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DESCRIPTOR = "plugin.json"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git")


@dataclass(frozen=True)
class InstalledPlugin:
    """One installed plugin.

    Attributes:
        name: The name experiments use as their algorithm.
        path: The installed copy of the plugin folder (holds ``optimizer.py``).
        source: The folder it was installed from.
        createtime: When it was installed, ``YYYY-MM-DD HH:MM:SS`` local time.
        creator: The user who installed it.
        python: The interpreter it runs with; None for the engine's own.
        log_level: Level of the plugin's ``logger`` (INFO when not given).
    """

    name: str
    path: str
    source: str
    createtime: str
    creator: str
    python: str | None = None
    log_level: str | None = None

    def descriptor(self) -> dict[str, Any]:
        """The WML-A style descriptor, as ``algorithms list --json`` prints it."""
        entry: dict[str, Any] = {
            "name": self.name,
            "path": self.path,
            "creator": self.creator,
            "createtime": self.createtime,
            "type": "USER_PLUGIN",
            "remoteExec": False,
        }
        if self.log_level:
            entry["logLevel"] = self.log_level
        return entry


class PluginRegistry:
    """Install, find and delete plugins under one plugins folder.

    Args:
        root: ``<workspace>/plugins``.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def install(
        self,
        source: Path,
        name: str,
        *,
        python: str | None = None,
        log_level: str | None = None,
        replace: bool = False,
        reserved: list[str] | None = None,
    ) -> InstalledPlugin:
        """Copy ``source`` in under ``name``.

        Args:
            source: A folder holding ``optimizer.py`` with a ``PluginOptimizer``.
            name: The name to install under.
            python: Interpreter to run the plugin with.
            log_level: Level for the plugin's logger.
            replace: Replace a plugin already installed under ``name``.
            reserved: Names the plugin may not take; by default the built-in
                algorithms'.

        Raises:
            PluginStoreError: Bad name, bad folder, or the name is taken.
        """
        _check_name(name, builtin_names() if reserved is None else reserved)
        source = source.expanduser().resolve()
        check_plugin_folder(source)
        target = self.root / name
        if target.exists() and not replace:
            raise PluginStoreError(
                f"a plugin named {name!r} is already installed; delete it first "
                "(hpotui algorithms delete) or pass --replace"
            )
        plugin = InstalledPlugin(
            name=name,
            path=str(target / "code"),
            source=str(source),
            createtime=datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            creator=_user(),
            python=python,
            log_level=log_level.upper() if log_level else None,
        )
        self._write(target, source, plugin)
        return plugin

    def installed(self) -> list[InstalledPlugin]:
        """Every installed plugin, by name."""
        if not self.root.is_dir():
            return []
        found = [self._read(d) for d in sorted(self.root.iterdir()) if d.is_dir()]
        return [plugin for plugin in found if plugin is not None]

    def get(self, name: str) -> InstalledPlugin | None:
        """The plugin of that name (exact, else the only one equal ignoring case)."""
        exact = self._read(self.root / name) if _NAME.match(name) else None
        if exact is not None:
            return exact
        matches = [p for p in self.installed() if p.name.lower() == name.lower()]
        return matches[0] if len(matches) == 1 else None

    def delete(self, name: str) -> InstalledPlugin:
        """Remove the plugin of that name.

        Raises:
            PluginStoreError: No plugin has that name.
        """
        plugin = self.get(name)
        if plugin is None:
            raise PluginStoreError(
                f"no plugin named {name!r} is installed; installed: "
                f"{', '.join(p.name for p in self.installed()) or 'none'}"
            )
        shutil.rmtree(self.root / plugin.name)
        return plugin

    def _write(self, target: Path, source: Path, plugin: InstalledPlugin) -> None:
        # Build next to the target and swap in, so a failed copy leaves the old
        # install (or nothing) rather than half a plugin.
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".{plugin.name}.installing"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging / "code", ignore=_IGNORED)
        (staging / _DESCRIPTOR).write_text(json.dumps(asdict(plugin), indent=2))
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)

    def _read(self, folder: Path) -> InstalledPlugin | None:
        descriptor = folder / _DESCRIPTOR
        if not descriptor.is_file():
            return None
        try:
            return InstalledPlugin(**json.loads(descriptor.read_text()))
        except (ValueError, TypeError) as err:
            raise PluginStoreError(
                f"{descriptor} is damaged ({err}); reinstall the plugin with "
                "hpotui algorithms install DIR --name NAME --replace"
            ) from err


def check_plugin_folder(folder: Path) -> None:
    """Check, without running it, that ``folder`` holds a loadable plugin.

    Raises:
        PluginStoreError: No folder, no ``optimizer.py``, a syntax error, or no
            ``PluginOptimizer`` class.
    """
    if not folder.is_dir():
        raise PluginStoreError(f"{folder} is not a folder; give the plugin's folder")
    optimizer = folder / "optimizer.py"
    if not optimizer.is_file():
        raise PluginStoreError(
            f"{folder} has no optimizer.py; a plugin folder holds optimizer.py "
            "defining class PluginOptimizer(BasePluginOptimizer)"
        )
    try:
        tree = ast.parse(optimizer.read_text(encoding="utf-8"), str(optimizer))
    except (SyntaxError, UnicodeDecodeError) as err:
        line = getattr(err, "lineno", None)
        raise PluginStoreError(
            f"{optimizer}:{line or 1}: cannot be read as Python ({err}); fix it and "
            "install again"
        ) from err
    classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    if "PluginOptimizer" not in classes:
        raise PluginStoreError(
            f"{optimizer} defines no class PluginOptimizer; the class must have "
            "exactly that name"
        )


def _check_name(name: str, reserved: list[str]) -> None:
    if not _NAME.match(name):
        raise PluginStoreError(
            f"plugin name {name!r} is not allowed; use up to 64 letters, digits, "
            "'_', '-' or '.', starting with a letter or digit"
        )
    if name.lower() in {r.lower() for r in reserved}:
        raise PluginStoreError(
            f"{name!r} is the name of a built-in algorithm; choose another name"
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
