"""Packing model folders for upload, and unpacking downloaded results safely.

Uploads are gzip tars in temporary files (streamed, never held in memory). Results
are unpacked with the standard library's ``data`` filter for tars and an equivalent
check for zips: nothing may land outside the target folder, no link may point out
of it, and no device file or FIFO is created. A size limit, when given, is checked
against the sizes the archive declares before anything is written, so a small
archive of a huge file of zeros is refused rather than unpacked.
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


class UnpackedSizeError(RemoteError):
    """An archive that would unpack to more than the limit allows."""

    def __init__(self, archive: Path, size: int, limit: int) -> None:
        super().__init__(
            f"{archive.name} unpacks to {_megabytes(size)}, more than the limit of "
            f"{_megabytes(limit)}; nothing was unpacked. Leave data sets out of the "
            "archive, or raise the limit (hpotui serve --max-unpacked-mb).",
            title="Archive too large",
        )
        self.size = size
        self.limit = limit


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


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


def _check_tar(archive: Path, bundle: tarfile.TarFile, limit: int | None) -> None:
    if limit is None:
        return
    total = 0
    for info in bundle.getmembers():
        # A sparse member unpacks to more than its declared size.
        if info.issparse():
            raise RemoteError(
                f"{archive.name} holds the sparse file {info.name!r}, which is not "
                "accepted; pack it as a plain file."
            )
        total += info.size
    if total > limit:
        raise UnpackedSizeError(archive, total, limit)


def _unpack_zip(archive: Path, target: Path, limit: int | None) -> None:
    with zipfile.ZipFile(archive) as bundle:
        # zipfile reads no more than each member's declared size, so the sum bounds
        # what is written.
        total = sum(info.file_size for info in bundle.infolist())
        if limit is not None and total > limit:
            raise UnpackedSizeError(archive, total, limit)
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


def unpack_safely(archive: Path, target: Path, max_bytes: int | None = None) -> Path:
    """Unpack a tar (any compression) or zip into ``target``; other files stay as is.

    Args:
        archive: The archive.
        target: The folder to unpack into (created when missing).
        max_bytes: Largest total size of the unpacked files; None for no limit.

    Returns:
        The folder the contents went to, or the archive itself when it is neither.

    Raises:
        RemoteError: A member would escape ``target``, is a link out of it, or is a
            device file; nothing of a rejected zip is written.
        UnpackedSizeError: The members add up to more than ``max_bytes``; nothing
            is written.
    """
    target = target.resolve()
    target.mkdir(parents=True, exist_ok=True)
    if tarfile.is_tarfile(archive):
        try:
            with tarfile.open(archive) as bundle:
                _check_tar(archive, bundle, max_bytes)
                bundle.extractall(target, filter="data")
        except tarfile.FilterError as err:
            raise RemoteError(
                f"{archive.name} holds an unsafe member ({err}); unpacking stopped."
            ) from err
        return target
    if zipfile.is_zipfile(archive):
        _unpack_zip(archive, target, max_bytes)
        return target
    return archive
