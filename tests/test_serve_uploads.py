"""What ``hpotui serve`` accepts as an upload: the unpacked-size limit."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest
from wmla_helpers import fixture
from wmla_loopback import serving

from hpotui.backends.wmla.archive import UnpackedSizeError, unpack_safely
from hpotui.server.app import API, create_app
from hpotui.server.users import add_user

_MIB = 1024 * 1024


class _Zeros(io.RawIOBase):
    """A stream of zero bytes, so a huge member needs no file behind it."""

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        buffer[:] = bytes(len(buffer))
        return len(buffer)

    def readable(self) -> bool:
        return True


def _zero_bomb(size: int) -> bytes:
    """A small gzip tar holding one file of ``size`` zero bytes, in a model folder."""
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as bundle:
        script = b"print('hi')\n"
        info = tarfile.TarInfo("toy/train.py")
        info.size = len(script)
        bundle.addfile(info, io.BytesIO(script))
        info = tarfile.TarInfo("toy/zeros.bin")
        info.size = size
        bundle.addfile(info, io.BufferedReader(_Zeros()))
    return packed.getvalue()


def _data() -> str:
    body = fixture("request_hpo_random.json")
    body["modelSpec"]["args"] = "--exec-start PyTorch --model-main train.py"
    body["algoDef"]["maxJobNum"] = 1
    return json.dumps(body)


async def test_an_archive_unpacking_past_the_limit_is_refused_before_unpacking(
    tmp_path: Path,
) -> None:
    """A 1 MiB upload limit allows 20 MiB unpacked: a tiny tar of a 40 MiB file of
    zeros is refused with 413 naming the limit, and nothing of it is written."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "pw")
    bomb = _zero_bomb(40 * _MIB)
    assert len(bomb) < _MIB
    app = create_app(tmp_path / "server", users, max_upload=_MIB)
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}{API}"
        async with httpx.AsyncClient(auth=("alice", "pw"), timeout=60) as http:
            refused = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, _data()), "file": ("m.tar", bomb)},
            )
            assert refused.status_code == 413, refused.text
            assert "40.0 MiB" in refused.text and "limit of 20.0 MiB" in refused.text
            assert "--max-unpacked-mb" in refused.text
            assert (await http.get(f"{base}/hypersearch")).json() == []
            plugin = await http.post(
                f"{base}/hypersearch/algorithm/install",
                files={"data": (None, '{"name": "big"}'), "file": ("p.tar", bomb)},
            )
            assert plugin.status_code == 413 and "limit of 20.0 MiB" in plugin.text
    assert not list((tmp_path / "server").rglob("zeros.bin"))


async def test_an_archive_within_a_raised_limit_is_accepted(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "pw")
    app = create_app(
        tmp_path / "server", users, max_upload=_MIB, max_unpacked=3 * _MIB
    )
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}{API}"
        async with httpx.AsyncClient(auth=("alice", "pw"), timeout=60) as http:
            accepted = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, _data()),
                       "file": ("m.tar", _zero_bomb(2 * _MIB))},
            )  # fmt: skip
            assert accepted.status_code == 200, accepted.text
            refused = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, _data()),
                       "file": ("m.tar", _zero_bomb(4 * _MIB))},
            )  # fmt: skip
            assert refused.status_code == 413 and "limit of 3.0 MiB" in refused.text
            names = [t["hpoName"] for t in
                     (await http.get(f"{base}/hypersearch")).json()]  # fmt: skip
            assert names == [accepted.json()]


def test_zip_and_sparse_members_are_measured_before_unpacking(tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("zeros.bin", bytes(2 * _MIB))
    with pytest.raises(UnpackedSizeError) as refused:
        unpack_safely(big, tmp_path / "zip", max_bytes=_MIB)
    assert (refused.value.size, refused.value.limit) == (2 * _MIB, _MIB)
    assert not (tmp_path / "zip" / "zeros.bin").exists()
    assert (unpack_safely(big, tmp_path / "ok") / "zeros.bin").stat().st_size == (
        2 * _MIB
    )

    sparse = tmp_path / "sparse.tar"
    with tarfile.open(sparse, "w", format=tarfile.GNU_FORMAT) as bundle:
        info = tarfile.TarInfo("holes.bin")
        info.type = tarfile.GNUTYPE_SPARSE
        bundle.addfile(info)
    with pytest.raises(Exception, match="sparse file 'holes.bin'"):
        unpack_safely(sparse, tmp_path / "sparse", max_bytes=_MIB)


def _model_tar(files: dict[str, bytes]) -> bytes:
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as bundle:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            bundle.addfile(info, io.BytesIO(content))
    return packed.getvalue()


@pytest.mark.parametrize(
    "script", ["missing.py", "../outside.py", "/usr/bin/env", "sub"]
)
async def test_model_main_must_name_a_script_inside_the_model_folder(
    tmp_path: Path, script: str
) -> None:
    """--model-main naming a script the archive lacks, a path out of the model
    folder, or a folder, is refused at submit with 400 naming it; nothing runs."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "pw")
    (tmp_path / "outside.py").write_text("print('outside')\n")
    archive = _model_tar({"toy/train.py": b"print(1)\n", "toy/sub/x.txt": b"x"})
    body = json.loads(_data())
    body["modelSpec"]["args"] = f"--exec-start PyTorch --model-main {script}"
    with serving(create_app(tmp_path / "server", users)) as port:
        base = f"http://127.0.0.1:{port}{API}"
        async with httpx.AsyncClient(auth=("alice", "pw"), timeout=30) as http:
            refused = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, json.dumps(body)), "file": ("m.tar", archive)},
            )
            assert refused.status_code == 400, refused.text
            assert refused.text.startswith(f"Error 400: --model-main {script} ")
            assert "inside the uploaded model folder (it holds train.py)" in (
                refused.text
            )
            assert (await http.get(f"{base}/hypersearch")).json() == []
    assert not list((tmp_path / "server").rglob("uploads/*/*"))
