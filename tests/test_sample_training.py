"""The sample training script, run once as a trial would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TRAIN = (
    Path(__file__).resolve().parents[1]
    / "sample_experiments"
    / "digits_mlp"
    / "train.py"
)


def test_train_writes_loss_and_accuracy_each_epoch(tmp_path: Path) -> None:
    config = {
        "learning_rate": 0.01,
        "hidden_units": 16,
        "activation": "tanh",
        "epochs": 3,
        "data_fraction": 0.5,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    result_dir = tmp_path / "result"
    env = {**os.environ, "RESULT_DIR": str(result_dir)}
    done = subprocess.run(
        [sys.executable, str(TRAIN)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "training on 673 digits, validating on 450"
    assert [line.split(" loss")[0] for line in lines[1:]] == [
        "epoch 1/3", "epoch 2/3", "epoch 3/3",
    ]  # fmt: skip

    records = json.loads((result_dir / "val_dict_list.json").read_text())
    assert [r["steps"] for r in records] == [1, 2, 3]
    assert all(set(r) == {"steps", "loss", "accuracy"} for r in records)
    assert all(0 < r["loss"] < 3 and 0.5 < r["accuracy"] <= 1 for r in records)
    assert records[-1]["loss"] < records[0]["loss"]
    assert not (result_dir / "val_dict_list.json.tmp").exists()
