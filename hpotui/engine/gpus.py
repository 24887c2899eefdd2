"""GPU devices handed to trials so that two running trials never share one.

The pool is the experiment's ``gpus:`` list when it has one, otherwise the devices
in this process's CUDA_VISIBLE_DEVICES. Each trial takes ``gpus_per_trial`` of them,
sees exactly those in its own CUDA_VISIBLE_DEVICES, and gives them back when it
ends. Thread-safe and free of asyncio, so a worker process can keep one too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence

from hpotui.errors import EngineError

_NO_DEVICES = ("", "-1", "NoDevFiles", "none")


class GpuPool:
    """Devices free to give to trials.

    Args:
        devices: Device ids as CUDA_VISIBLE_DEVICES spells them (``"0"``,
            ``"GPU-5e1c..."``), in the order they are handed out.
        per_trial: How many each trial gets.

    Raises:
        EngineError: ``per_trial`` is negative, more than the pool holds, or the
            list names a device twice.
    """

    def __init__(self, devices: Sequence[str], per_trial: int) -> None:
        devices = [str(device).strip() for device in devices]
        _check(devices, per_trial)
        self.devices = tuple(devices)
        self.per_trial = per_trial
        self._free = list(devices)
        self._held: dict[int, list[str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        per_trial: int,
        gpus: Sequence[str | int] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> GpuPool | None:
        """The pool for an experiment, or None when trials use no GPU.

        Args:
            per_trial: The experiment's ``gpus_per_trial``; 0 means no pool, and
                trials inherit this process's CUDA_VISIBLE_DEVICES unchanged.
            gpus: The experiment's ``gpus:`` list; overrides the environment.
            environ: Where to read CUDA_VISIBLE_DEVICES; this process's by default.
        """
        if per_trial == 0:
            return None
        if gpus is None:
            visible = (os.environ if environ is None else environ).get(
                "CUDA_VISIBLE_DEVICES"
            )
            if visible is None:
                raise EngineError(
                    f"gpus_per_trial is {per_trial} but no GPU pool is known; "
                    "list the devices under gpus: or set CUDA_VISIBLE_DEVICES"
                )
            gpus = [] if visible.strip() in _NO_DEVICES else visible.split(",")
        return cls([str(gpu) for gpu in gpus], per_trial)

    @property
    def capacity(self) -> int:
        """How many trials can hold devices at the same time."""
        return len(self.devices) // self.per_trial

    def acquire(self, trial_id: int) -> list[str] | None:
        """Take devices for a trial; None when too few are free.

        Raises:
            EngineError: The trial already holds devices.
        """
        with self._lock:
            if trial_id in self._held:
                raise EngineError(f"trial {trial_id} already holds GPUs")
            if len(self._free) < self.per_trial:
                return None
            taken = self._free[: self.per_trial]
            del self._free[: self.per_trial]
            self._held[trial_id] = taken
            return list(taken)

    def release(self, trial_id: int) -> None:
        """Give a trial's devices back; nothing happens if it holds none."""
        with self._lock:
            taken = self._held.pop(trial_id, [])
            self._free.extend(taken)
            # keep handing out in the configured order, which keeps runs repeatable
            self._free.sort(key=self.devices.index)

    def held(self) -> dict[int, list[str]]:
        """Which trial holds which devices now."""
        with self._lock:
            return {trial: list(devices) for trial, devices in self._held.items()}


def visible_devices(devices: Sequence[str]) -> dict[str, str]:
    """The environment entry that gives a trial exactly ``devices``."""
    return {"CUDA_VISIBLE_DEVICES": ",".join(devices)}


def _check(devices: list[str], per_trial: int) -> None:
    if per_trial < 0:
        raise EngineError(f"gpus_per_trial must be 0 or more, got {per_trial}")
    duplicates = sorted({device for device in devices if devices.count(device) > 1})
    if duplicates:
        raise EngineError(
            f"GPU {', '.join(duplicates)} is listed twice in the pool; list each "
            "device once"
        )
    if per_trial > len(devices):
        shown = ",".join(devices) or "none"
        raise EngineError(
            f"gpus_per_trial is {per_trial} but the pool holds {len(devices)} "
            f"GPU(s) ({shown}); lower gpus_per_trial or list more devices under gpus:"
        )
