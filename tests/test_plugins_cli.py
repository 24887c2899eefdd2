"""``hpotui algorithms install/list/delete`` as a user runs them, and the workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _plugin_kit import SAMPLES, SPACE

from hpotui.algorithms import create_algorithm
from hpotui.errors import ExperimentFileError
from hpotui.workspace import plugins_dir, workspace_dir

REPO = Path(__file__).resolve().parents[1]


def _hpotui(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hpotui", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_install_list_delete_round_trip(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    installed = _hpotui(
        "--workspace", workspace, "algorithms", "install",
        str(SAMPLES / "random"), "--name", "my-random",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith("installed plugin my-random from ")

    listed = _hpotui("--workspace", workspace, "algorithms", "list", "--json")
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["Random"] == {"name": "Random", "type": "BUILD_IN", "remoteExec": False}
    assert rows["my-random"]["type"] == "USER_PLUGIN"
    assert rows["my-random"]["path"] == str(tmp_path / "ws/plugins/my-random/code")
    assert (Path(rows["my-random"]["path"]) / "optimizer.py").is_file()

    table = _hpotui("--workspace", workspace, "algorithms", "list").stdout
    rows_shown = [line.split() for line in table.splitlines()]
    assert rows_shown[0] == ["NAME", "TYPE", "PATH"]
    assert ["Random", "BUILD_IN"] in rows_shown
    assert ["my-random", "USER_PLUGIN", rows["my-random"]["path"]] in rows_shown

    deleted = _hpotui("--workspace", workspace, "algorithms", "delete", "my-random")
    assert deleted.stdout == "deleted plugin my-random\n"
    assert not (tmp_path / "ws/plugins/my-random").exists()


def test_hpotui_home_chooses_the_workspace(tmp_path: Path) -> None:
    env = {"HPOTUI_HOME": str(tmp_path / "home")}
    _hpotui("algorithms", "install", str(SAMPLES / "grid"), "--name", "g2", env=env)
    assert (tmp_path / "home/plugins/g2/plugin.json").is_file()


def test_workspace_flag_wins_over_hpotui_home(tmp_path: Path) -> None:
    """With HPOTUI_HOME set, ``hpotui --workspace DIR validate`` looked for
    plugins in the environment's folder; the flag now wins, as documented."""
    home = str(tmp_path / "home")
    _install_empty_plugin(tmp_path, home)
    experiment = _plugin_experiment(tmp_path, "empty")
    env = {"HPOTUI_HOME": home}
    assert _hpotui("validate", str(experiment), env=env).returncode == 0
    flag = str(tmp_path / "flag")
    checked = _hpotui("--workspace", flag, "validate", str(experiment), env=env)
    assert checked.returncode == 2
    assert "unknown algorithm 'empty'" in checked.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["install", "{tmp}/missing", "--name", "x"],
         "error: {tmp}/missing is not a folder; give the plugin's folder\n"),
        (["install", "{samples}/random", "--name", "TPE/../x"],
         "error: plugin name 'TPE/../x' is not allowed; use up to 64 letters, "
         "digits, '_', '-' or '.', starting with a letter or digit\n"),
        (["install", "{samples}/random", "--name", "random"],
         "error: 'random' is the name of a built-in algorithm; choose another "
         "name\n"),
        (["delete", "nobody"],
         "error: no plugin named 'nobody' is installed; installed: none\n"),
        (["delete", "Grid"],
         "error: Grid is a built-in algorithm and cannot be deleted; only plugins "
         "(USER_PLUGIN) can\n"),
    ],
)  # fmt: skip
def test_bad_requests_say_what_is_wrong_without_a_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    filled = [a.format(tmp=tmp_path, samples=SAMPLES) for a in args]
    result = _hpotui("--workspace", str(tmp_path / "ws"), "algorithms", *filled)
    assert result.returncode == 2
    assert result.stderr == message.format(tmp=tmp_path)


def test_installing_twice_needs_replace(tmp_path: Path) -> None:
    args = ["--workspace", str(tmp_path), "algorithms", "install"]
    _hpotui(*args, str(SAMPLES / "random"), "--name", "p")
    again = _hpotui(*args, str(SAMPLES / "grid"), "--name", "p")
    assert again.returncode == 2
    assert "already installed" in again.stderr
    replaced = _hpotui(*args, str(SAMPLES / "grid"), "--name", "p", "--replace")
    assert replaced.returncode == 0
    code = (tmp_path / "plugins/p/code/optimizer.py").read_text()
    assert "Grid search as a WML-A style plugin" in code


def test_a_folder_without_plugin_optimizer_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "optimizer.py").write_text("class Optimizer:\n    pass\n")
    result = _hpotui(
        "--workspace", str(tmp_path), "algorithms", "install", str(folder),
        "--name", "p",
    )  # fmt: skip
    assert result.stderr == (
        f"error: {folder}/optimizer.py defines no class PluginOptimizer; the class "
        "must have exactly that name\n"
    )


def test_create_algorithm_finds_a_plugin_installed_from_the_cli(
    tmp_path: Path,
) -> None:
    _hpotui(
        "--workspace", str(tmp_path), "algorithms", "install",
        str(SAMPLES / "random"), "--name", "cli-random",
    )  # fmt: skip
    algorithm = create_algorithm(
        "cli-random", SPACE, seed=3, plugins_dir=plugins_dir(tmp_path)
    )
    try:
        assert len(algorithm.suggest(2, [], [])) == 2
    finally:
        algorithm.close()
    with pytest.raises(ExperimentFileError) as caught:
        create_algorithm("nope", SPACE, plugins_dir=plugins_dir(tmp_path))
    assert "or an installed plugin (cli-random;" in caught.value.message


def test_workspace_dir_prefers_override_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPOTUI_HOME", str(tmp_path / "env"))
    assert workspace_dir(tmp_path / "flag") == tmp_path / "flag"
    assert workspace_dir() == tmp_path / "env"
    assert (tmp_path / "env").is_dir()


_EMPTY_PLUGIN = """\
from plugins.core.base_plugin_opt import BasePluginOptimizer


class PluginOptimizer(BasePluginOptimizer):
    def search(self, number_samples, last_exp_results):
        return []
"""


def _plugin_experiment(tmp_path: Path, algorithm: str) -> Path:
    (tmp_path / "m").mkdir(exist_ok=True)
    path = tmp_path / "exp.yaml"
    path.write_text(
        "name: plugin-exp\n"
        f"algorithm: {{name: {algorithm}}}\n"
        "limits: {max_jobs: 4, max_parallel_jobs: 1}\n"
        "model: {dir: ./m, command: python train.py}\n"
        "hyperparams:\n"
        "  lr: {range: [0.001, 0.1]}\n"
    )
    return path


def _install_empty_plugin(tmp_path: Path, workspace: str) -> None:
    source = tmp_path / "empty-src"
    source.mkdir()
    (source / "optimizer.py").write_text(_EMPTY_PLUGIN)
    installed = _hpotui(
        "--workspace", workspace, "algorithms", "install", str(source),
        "--name", "empty",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr


def test_a_plugin_with_nothing_to_suggest_ends_the_experiment_finished(
    tmp_path: Path,
) -> None:
    """A plugin returning [] on its first search() used to end the experiment
    FAILED "no successful trials"; [] means it has no more suggestions, so the
    experiment ends FINISHED, saying so."""
    workspace = str(tmp_path / "ws")
    _install_empty_plugin(tmp_path, workspace)
    experiment = _plugin_experiment(tmp_path, "empty")

    ran = _hpotui("--workspace", workspace, "run", str(experiment))
    assert ran.returncode == 0, ran.stderr
    assert "plugin-exp FINISHED: plugin empty returned no configurations" in ran.stdout
    assert "Traceback" not in ran.stderr


def test_validate_looks_in_the_workspace_for_a_plugin_name(tmp_path: Path) -> None:
    """validate used to warn that a plugin name must be an installed plugin even
    when it was, and to say ok when it was not while run refused the file. Both
    now look in the workspace: installed is fine, not installed is an error with
    the file and line, and a near miss of a built-in is pointed out."""
    workspace = str(tmp_path / "ws")
    _install_empty_plugin(tmp_path, workspace)
    experiment = _plugin_experiment(tmp_path, "empty")
    checked = _hpotui("--workspace", workspace, "validate", str(experiment))
    assert checked.returncode == 0, checked.stderr
    summary = "plugin-exp, empty, 1 hyperparameters (continuous)"
    assert checked.stdout == f"{experiment}: ok: {summary}\n"

    typo = _plugin_experiment(tmp_path, "Rnadom")
    expected = (
        f"{typo}:2 algorithm.name: unknown algorithm 'Rnadom'; did you mean "
        "Random? use one of ExperimentGridSearch, Grid, Random, Bayesian, "
        "Hyperband, ASHA, BOHB, TPE or an installed plugin (empty; see hpotui "
        "algorithms list)"
    )
    for verb in ("validate", "run"):
        refused = _hpotui(verb, str(typo), env={"HPOTUI_HOME": workspace})
        assert refused.returncode == 2, (verb, refused.stdout, refused.stderr)
        assert expected in refused.stderr, verb
        assert "Traceback" not in refused.stderr


def test_run_prefixes_the_file_warnings(tmp_path: Path) -> None:
    """run printed the file's warnings without the "warning:" validate gives."""
    experiment = _plugin_experiment(tmp_path, "Random")
    experiment.write_text(
        experiment.read_text().replace("{name: Random}", "{name: Random, eta: 3}")
    )
    script = tmp_path / "m" / "train.py"
    script.write_text("print('loss: 0.5')\n")
    ran = _hpotui("--workspace", str(tmp_path / "ws"), "run", str(experiment))
    assert (
        f"warning: {experiment}:2 algorithm.eta: used only by Hyperband; ignored here"
        in ran.stderr.splitlines()
    )
