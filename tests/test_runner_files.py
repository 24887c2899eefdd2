"""Trial folders, config.json, the trial environment, log tails and the GPU pool."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hpotui.engine.executor import TrialSpec
from hpotui.engine.gpus import GpuPool
from hpotui.engine.logtail import LogFollower, tail_lines
from hpotui.engine.trial_files import prepare_trial, trial_environment
from hpotui.errors import EngineError


def make_model(root: Path) -> Path:
    model = root / "model"
    (model / "pkg").mkdir(parents=True)
    (model / "train.py").write_text("print('hi')\n")
    (model / "pkg" / "util.py").write_text("X = 1\n")
    for skipped in (".git", "__pycache__", ".venv", "pkg/__pycache__"):
        (model / skipped).mkdir(parents=True)
        (model / skipped / "junk").write_text("x")
    (model / "result").mkdir()
    (model / "result" / "val_dict_list.json").write_text("[]")  # stale output
    return model


def spec_for(tmp_path: Path, model: Path, **changes: object) -> TrialSpec:
    fields: dict = dict(
        experiment="exp",
        trial_id=7,
        workdir=tmp_path / "trials" / "7",
        model_dir=model,
        command=["python", "train.py"],
        config={
            "lr": 0.01,
            "units": 32,
            "act": None,
            "flag": True,
            "epochs": 3,
            "data_fraction": 0.25,
        },
        metric="loss",
    )
    fields.update(changes)
    return TrialSpec(**fields)


def test_folder_holds_model_files_config_and_empty_result(tmp_path: Path) -> None:
    spec = spec_for(tmp_path, make_model(tmp_path))
    paths = prepare_trial(spec)

    files = sorted(
        str(path.relative_to(paths.workdir)) for path in paths.workdir.rglob("*")
    )
    assert files == [
        "config.json",
        "data",
        "log",
        "pkg",
        "pkg/util.py",
        "result",
        "train.py",
    ]
    text = paths.config.read_text()
    assert json.loads(text) == spec.config
    assert '"units": 32,' in text and '"act": null' in text and '"flag": true' in text


def test_config_writes_numpy_ints_as_ints_and_refuses_nan(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    spec = spec_for(tmp_path, model, config={"units": np.int64(64), "lr": 0.5})
    assert '"units": 64,' in prepare_trial(spec).config.read_text()

    bad = spec_for(
        tmp_path,
        model,
        trial_id=8,
        workdir=tmp_path / "t8",
        config={"lr": float("nan")},
    )
    with pytest.raises(EngineError, match="cannot write config.json"):
        prepare_trial(bad)


def test_model_data_folder_is_linked_not_copied(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    (model / "data").mkdir()
    (model / "data" / "digits.csv").write_text("1,2\n")
    paths = prepare_trial(spec_for(tmp_path, model))
    assert paths.data_dir == model / "data"
    assert (paths.workdir / "data").is_symlink()
    assert (paths.workdir / "data" / "digits.csv").read_text() == "1,2\n"


def test_trials_never_share_a_folder(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    prepare_trial(spec_for(tmp_path, model))
    with pytest.raises(EngineError, match="already holds files"):
        prepare_trial(spec_for(tmp_path, model))


def test_environment_has_wmla_variables_and_spec_env_wins(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    spec = spec_for(tmp_path, model, env={"DATA_DIR": "/datasets/digits", "X": "1"})
    paths = prepare_trial(spec)
    env = trial_environment(spec, paths, base={"PATH": "/bin", "RESULT_DIR": "old"})
    workdir = tmp_path / "trials" / "7"
    assert env == {
        "PATH": "/bin",
        "PYTHONUNBUFFERED": "1",
        "RESULT_DIR": str(workdir / "result"),
        "LOG_DIR": str(workdir / "log"),
        "DATA_DIR": "/datasets/digits",
        "DLI_WORK_DIR": str(workdir),
        "DLI_EXECID": "exp-7",
        "SUBID": "7",
        "TRAINING_ID": "7",
        "X": "1",
    }


def test_tail_lines_of_a_large_file_reads_only_its_end(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with open(path, "w") as out:
        for number in range(200_000):
            out.write(f"line {number}\n")
    assert tail_lines(path, 3) == ["line 199997", "line 199998", "line 199999"]
    assert tail_lines(path, 2, max_bytes=15) == ["line 199999"]
    assert tail_lines(tmp_path / "missing.log", 5) == []


def test_log_follower_returns_whole_new_lines_and_skips_bursts(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    follower = LogFollower(path, max_bytes=100)
    assert follower.read_new() == []
    path.write_text("one\ntw")
    assert follower.read_new() == ["one"]
    with open(path, "a") as out:
        out.write("o\nthree\n")
    assert follower.read_new() == ["two", "three"]
    with open(path, "a") as out:
        out.write("".join(f"burst {n:04d}\n" for n in range(1000)))
    lines = follower.read_new()
    assert lines[0].startswith("[... ") and lines[0].endswith(" bytes skipped ...]")
    assert lines[-1] == "burst 0999"
    assert len(lines) <= 10


def test_gpu_pool_hands_out_disjoint_devices_and_takes_them_back() -> None:
    pool = GpuPool.from_settings(2, environ={"CUDA_VISIBLE_DEVICES": "0,1,2,3,4"})
    assert pool is not None and pool.capacity == 2
    assert pool.acquire(1) == ["0", "1"]
    assert pool.acquire(2) == ["2", "3"]
    assert pool.acquire(3) is None  # only device 4 is free
    pool.release(1)
    assert pool.acquire(3) == ["0", "1"]
    assert pool.held() == {2: ["2", "3"], 3: ["0", "1"]}


def test_gpu_pool_settings() -> None:
    assert GpuPool.from_settings(0, environ={}) is None
    listed = GpuPool.from_settings(
        1, gpus=[5, 7], environ={"CUDA_VISIBLE_DEVICES": "0"}
    )
    assert listed is not None and listed.devices == ("5", "7")
    with pytest.raises(EngineError, match=r"pool holds 1 GPU\(s\) \(0\)"):
        GpuPool.from_settings(2, environ={"CUDA_VISIBLE_DEVICES": "0"})
    with pytest.raises(EngineError, match="set CUDA_VISIBLE_DEVICES"):
        GpuPool.from_settings(1, environ={})
    with pytest.raises(EngineError, match="listed twice"):
        GpuPool(["0", "0"], 1)


def test_links_keep_their_target_and_a_nested_workspace_is_not_copied(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = make_model(tmp_path)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "big.bin").write_text("payload")
    (model / "pkg" / "big.bin").symlink_to("../../datasets/big.bin")
    spec = spec_for(tmp_path, model, workdir=model / "ws" / "trials" / "7")
    paths = prepare_trial(spec)

    copied = paths.workdir / "pkg" / "big.bin"
    assert copied.is_symlink() and copied.read_text() == "payload"
    assert not (paths.workdir / "ws").exists()
    assert "result is not copied into trial folders" in caplog.text


def test_log_follower_shows_progress_bars_and_a_last_unfinished_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "err.log"
    path.write_bytes(b"epoch 1:  10%\repoch 1:  50%\repoch 1: 100%\nsaving")
    follower = LogFollower(path)
    assert follower.read_new() == ["epoch 1: 100%"]
    assert follower.read_new(final=True) == ["saving"]
    assert follower.read_new(final=True) == []
