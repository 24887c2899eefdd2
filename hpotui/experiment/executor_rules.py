"""What makes an ``executor`` section runnable: keys that go together, and the
shape of a Dask scheduler address.

The file checker, the command line and the engine share these rules, so that a
setting that cannot work is refused before anything is stored or started.
"""

from __future__ import annotations

from hpotui.experiment.model import ExecutorSpec

ADDRESS_FORM = "tcp://host:port"
"""How a scheduler address is written, as messages show it."""

_SCHEMES = ("tcp", "tls", "ws", "wss")
_DASK_ONLY = ("address", "cluster", "workers")

Problem = tuple[tuple[str, ...], str]
"""A field path (``("executor", "address")``) and what is wrong with it."""


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a Dask scheduler address, or None when it is one.

    ``host:port`` without a scheme counts, as Dask reads it as ``tcp://``.
    """
    example = f"write it as {ADDRESS_FORM}, e.g. tcp://127.0.0.1:8786"
    text = address
    if not text.strip():
        return f"the address is empty; {example}"
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in _SCHEMES:
        return (
            f"{text!r} uses {scheme}://, which a Dask scheduler does not speak; "
            f"{example} (the scheduler's port, 8786 by default, not its dashboard)"
        )
    host, port = _split_host_port(rest)
    if not host:
        return f"{text!r} names no host; {example}"
    if port is None:
        return f"{text!r} has no port number; {example}"
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"{text!r} has port {port!r}, not a number from 1 to 65535; {example}"
    return None


def _split_host_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):  # an IPv6 address, [::1]:8786
        host, _, tail = text[1:].partition("]")
        return host, tail[1:] if tail.startswith(":") else None
    host, sep, port = text.rpartition(":")
    return (host, port) if sep else (text, None)


def executor_problems(spec: ExecutorSpec, gpus_per_trial: int = 0) -> list[Problem]:
    """Every reason the executor settings cannot run, by field.

    Args:
        spec: The experiment's ``executor`` section.
        gpus_per_trial: The experiment's GPUs per trial.
    """
    problems: list[Problem] = []
    if spec.workers is not None and spec.workers < 1:
        problems.append(
            (("executor", "workers"), f"must be 1 or more (got {spec.workers})")
        )
    if spec.type == "local":
        problems.extend(_local_problems(spec))
    else:
        problems.extend(_dask_problems(spec, gpus_per_trial))
    return problems


def _local_problems(spec: ExecutorSpec) -> list[Problem]:
    return [
        (
            ("executor", key),
            f"is a Dask setting, but executor.type is local; set type: dask to "
            f"run on Dask, or remove {key}",
        )
        for key in _DASK_ONLY
        if getattr(spec, key) is not None
    ]


def _dask_problems(spec: ExecutorSpec, gpus_per_trial: int) -> list[Problem]:
    problems: list[Problem] = []
    if spec.address is None and spec.cluster is None:
        problems.append(
            (
                ("executor",),
                f"type dask needs address ({ADDRESS_FORM} of a running scheduler) "
                "or cluster: local (a LocalCluster started here)",
            )
        )
    if spec.address is not None and spec.cluster is not None:
        problems.append(
            (
                ("executor", "cluster"),
                "conflicts with executor.address; give address to use a running "
                "scheduler or cluster: local to start one, not both",
            )
        )
    if spec.address is not None and (why := address_problem(spec.address)):
        problems.append((("executor", "address"), why))
    if spec.workers is not None and spec.cluster is None:
        problems.append(
            (
                ("executor", "workers"),
                "sizes a LocalCluster and needs cluster: local; a running "
                "scheduler has the workers started for it",
            )
        )
    if spec.cluster == "local" and gpus_per_trial:
        problems.append(
            (
                ("gpus_per_trial",),
                "is not supported with executor.cluster: local; on one machine use "
                "executor: {type: local}, which hands out devices",
            )
        )
    return problems


def describe_problems(problems: list[Problem]) -> str:
    """The problems as one line each, ``executor.address: ...``."""
    return "\n".join(f"{'.'.join(path)}: {text}" for path, text in problems)
