"""The plugin process: loads one ``optimizer.py`` and serves calls over JSON lines.

Run as ``python _hpotui_plugin_runner.py PLUGIN_DIR``. Each request on standard
input is one JSON object with an ``op`` (``init``, ``search``, ``get_state``,
``set_state``, ``close``); each reply on standard output is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {...}}``.

The protocol keeps private copies of the standard streams: file descriptor 1 is
pointed at standard error, which the engine sends to the plugin log, so whatever
the plugin prints (from Python or from C) never corrupts a reply. This script uses
only the standard library, so any Python 3 interpreter can run a plugin.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import pickle
import sys
import traceback
from typing import IO, Any


def main() -> None:
    plugin_dir = os.path.abspath(sys.argv[1])
    requests, replies = _protocol_channels()
    sys.path.insert(0, plugin_dir)
    server = _Server(plugin_dir)
    for line in requests:
        request = json.loads(line)
        reply = server.handle(request)
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps(reply, allow_nan=True) + "\n")
        replies.flush()
        if request.get("op") == "close":
            break


def _protocol_channels() -> tuple[IO[str], IO[str]]:
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests, replies


class _Server:
    def __init__(self, plugin_dir: str) -> None:
        self.plugin_dir = plugin_dir
        self.optimizer: Any = None

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "close":
            return {"ok": True, "result": None}
        if op == "init":
            return self._init(request)
        if self.optimizer is None:
            return _error("protocol", f"{op} before init")
        if op == "search":
            return self._call(
                "search",
                lambda: self.optimizer.search(
                    request["number_samples"], request["last_exp_results"]
                ),
                _plain,
            )
        if op == "get_state":
            return self._call("get_state", self.optimizer.get_state, _pickled)
        if op == "set_state":
            return self._call(
                "set_state", lambda: self.optimizer.set_state(_unpickled(request))
            )
        return _error("protocol", f"unknown op {op!r}")

    def _init(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            cls = _load_optimizer_class(self.plugin_dir)
        except BaseException as err:  # noqa: BLE001 - any failure is reported
            _log_traceback("loading optimizer.py")
            return _error("load", f"{type(err).__name__}: {err}")

        def build() -> None:
            self.optimizer = cls(
                request["name"], request["hyper_parameters"], **request["kwargs"]
            )

        return self._call("__init__", build)

    def _call(
        self, call: str, action: Any, encode: Any = lambda value: None
    ) -> dict[str, Any]:
        try:
            value = action()
        except BaseException as err:  # noqa: BLE001 - any failure is reported
            _log_traceback(f"{call}()")
            return _error("raised", f"{type(err).__name__}: {err}")
        try:
            return {"ok": True, "result": encode(value)}
        except Exception as err:  # noqa: BLE001 - a bad value is reported
            _log_traceback(f"encoding what {call}() returned")
            return _error("unencodable", str(err))


def _load_optimizer_class(plugin_dir: str) -> Any:
    path = os.path.join(plugin_dir, "optimizer.py")
    spec = importlib.util.spec_from_file_location("optimizer", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["optimizer"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "PluginOptimizer", None)
    if cls is None:
        raise AttributeError("optimizer.py defines no class PluginOptimizer")
    return cls


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data; numpy scalars and arrays become numbers, lists."""
    return json.loads(json.dumps(value, default=_numpy_default))


def _numpy_default(value: Any) -> Any:
    for method in ("item", "tolist"):
        if hasattr(value, method):
            return getattr(value, method)()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be sent as JSON")


def _pickled(value: Any) -> str:
    # Pickled rather than JSON so that state such as numpy's RandomState tuple
    # comes back to set_state exactly as get_state returned it.
    return base64.b64encode(pickle.dumps(value, protocol=4)).decode("ascii")


def _unpickled(request: dict[str, Any]) -> Any:
    return pickle.loads(base64.b64decode(request["state"]))


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": kind, "message": message}}


def _log_traceback(where: str) -> None:
    sys.stderr.write(f"hpotui: the plugin failed in {where}:\n")
    traceback.print_exc(file=sys.stderr)
    sys.stderr.flush()


if __name__ == "__main__":
    main()
