"""Model files on their way to Dask workers: packed once, unpacked once per worker.

The engine zips the model folder (the files a local trial would copy, plus its
``data`` folder, which a worker has no other way to reach) and registers a worker
plugin holding the archive. The scheduler hands the plugin to every worker, also
to those that join later, and each unpacks it into its local directory under the
archive's digest; trials on that worker then copy their files from there, exactly
as local trials copy from the model folder.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import zipfile
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from hpotui.engine.trial_files import SKIPPED_NAMES
from hpotui.errors import EngineError

logger = logging.getLogger(__name__)

_BUNDLES_FOLDER = "hpotui-models"
_LARGE_BYTES = 200 * 1024 * 1024


def pack_model(model_dir: Path, avoid: Path | None = None) -> tuple[str, bytes]:
    """Zip the model folder.

    Args:
        model_dir: The folder to pack.
        avoid: A folder to leave out wherever it lies (a workspace kept inside the
            model folder).

    Returns:
        The archive's SHA-256 digest (hex) and its bytes.

    Raises:
        EngineError: The model folder is missing.
    """
    model_dir = Path(model_dir).absolute()
    if not model_dir.is_dir():
        raise EngineError(
            f"model folder {model_dir} does not exist; fix model.dir in the experiment"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for path in _files(model_dir, avoid.resolve() if avoid else None):
            zf.write(path, path.relative_to(model_dir).as_posix())
    payload = buffer.getvalue()
    if len(payload) > _LARGE_BYTES:
        logger.warning(
            "the model folder %s packs to %d MB, sent to every worker; put large "
            "data on a shared file system and set executor.shared_path: true",
            model_dir,
            len(payload) // (1024 * 1024),
        )
    return hashlib.sha256(payload).hexdigest(), payload


def _files(folder: Path, avoid: Path | None) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(
            name
            for name in dirs
            if name not in SKIPPED_NAMES
            and not (avoid and avoid.is_relative_to(os.path.realpath(Path(root, name))))
        )
        found.extend(Path(root, name) for name in sorted(files))
    return found


def bundle_dir(local_directory: str | Path, digest: str) -> Path:
    """Where a worker keeps the unpacked model folder of ``digest``."""
    return Path(local_directory) / _BUNDLES_FOLDER / digest


class ModelFiles(WorkerPlugin):
    """Unpacks one model archive on each worker when the worker takes the plugin.

    Args:
        digest: The archive's digest, also the folder name on the worker.
        payload: The zip archive.
    """

    def __init__(self, digest: str, payload: bytes) -> None:
        self.digest = digest
        self.payload = payload

    @property
    def name(self) -> str:
        """One plugin per archive: a changed model folder is a new plugin."""
        return f"hpotui-model-{self.digest[:16]}"

    def setup(self, worker) -> None:  # type: ignore[no-untyped-def]
        target = bundle_dir(worker.local_directory, self.digest)
        if target.is_dir():
            return
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(io.BytesIO(self.payload)) as archive:
            archive.extractall(partial)
            _restore_modes(archive, partial)
        os.replace(partial, target)  # whole or absent, never half unpacked


def _restore_modes(archive: zipfile.ZipFile, folder: Path) -> None:
    # extractall drops permission bits; a script run as ./train.sh needs its x bit
    for info in archive.infolist():
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(folder / info.filename, mode)
