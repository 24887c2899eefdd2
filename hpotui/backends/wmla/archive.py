"""Packing model folders for upload, and unpacking downloaded results safely.

Uploads are gzip tars in temporary files (streamed, never held in memory). Results
are unpacked with the standard library's ``data`` filter for tars and an equivalent
check for zips: nothing may land outside the target folder, no link may point out
of it, and no device file or FIFO is created.
"""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hpotui.backends.wmla.errors import RemoteError

_SKIPPED_NAMES = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})


def _skip_clutter(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = Path(info.name).parts
    return None if _SKIPPED_NAMES.intersection(parts) else info


def pack_folder(folder: Path, suffix: str, flatten: bool = False) -> Path:
    """Write ``folder`` into a gzip tar in a temporary file and return its path.

    Args:
        folder: The folder to pack.
        suffix: The temporary file's suffix, e.g. ``.modelDir.tar``.
        flatten: Put the folder's contents at the archive root (plugin installs);
            otherwise the archive holds the folder itself, as notebooks make it.

    The caller deletes the file.
    """
    fd, name = tempfile.mkstemp(prefix="hpotui-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        with tarfile.open(path, "w:gz") as archive:
            if flatten:
                for child in sorted(folder.iterdir()):
                    archive.add(child, arcname=child.name, filter=_skip_clutter)
            else:
                archive.add(folder, arcname=folder.name, filter=_skip_clutter)
    except OSError as err:
        path.unlink(missing_ok=True)
        raise RemoteError(f"Cannot pack {folder}: {err}") from err
    return path


def _inside(target: Path, member: str) -> bool:
    resolved = (target / member).resolve()
    return resolved == target or target in resolved.parents


def _unpack_zip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            # Zips from other systems often carry no Unix file type: only a type
            # that is present and neither file nor folder (links, devices) is refused.
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise RemoteError(
                    f"{archive.name} holds {info.filename!r}, which is not a plain "
                    "file or folder; it was not unpacked."
                )
            if Path(info.filename).is_absolute() or not _inside(target, info.filename):
                raise RemoteError(
                    f"{archive.name} holds {info.filename!r}, a path outside the "
                    "target folder; it was not unpacked."
                )
        bundle.extractall(target)


def unpack_safely(archive: Path, target: Path) -> Path:
    """Unpack a tar (any compression) or zip into ``target``; other files stay as is.

    Returns:
        The folder the contents went to, or the archive itself when it is neither.

    Raises:
        RemoteError: A member would escape ``target``, is a link out of it, or is a
            device file; nothing of a rejected zip is written.
    """
    target = target.resolve()
    target.mkdir(parents=True, exist_ok=True)
    if tarfile.is_tarfile(archive):
        try:
            with tarfile.open(archive) as bundle:
                bundle.extractall(target, filter="data")
        except tarfile.FilterError as err:
            raise RemoteError(
                f"{archive.name} holds an unsafe member ({err}); unpacking stopped."
            ) from err
        return target
    if zipfile.is_zipfile(archive):
        _unpack_zip(archive, target)
        return target
    return archive
