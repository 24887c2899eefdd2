"""Loading experiment files: keys, paths, settings beyond the search space, and the
``hpotui validate`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpotui.algorithms.registry import create_algorithm
from hpotui.errors import ExperimentFileError
from hpotui.experiment import load_experiment, load_experiment_text
from hpotui.experiment.loader import check_text

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_experiments"

BASE = """\
name: t
objective: {metric: loss, goal: minimize}
algorithm: {name: Random, seed: 1}
limits: {max_jobs: 4, max_parallel_jobs: 2, max_run_time: 20m}
model: {dir: ./m, command: python train.py --fast}
hyperparams:
  x: {range: [0.0, 1.0]}
"""


def check(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "m").mkdir(exist_ok=True)
    return check_text(text, "t.yaml", tmp_path)


def test_friendly_file_loads_with_resolved_paths(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = tmp_path / "t.yaml"
    path.write_text(BASE)
    exp = load_experiment(path)
    assert exp.name == "t"
    assert exp.model.dir == (tmp_path / "m").resolve()
    assert exp.model.command == ["python", "train.py", "--fast"]
    assert exp.limits.max_jobs == 4 and exp.limits.max_parallel_jobs == 2
    assert exp.limits.max_run_time == 1200.0
    assert exp.algorithm.name == "Random" and exp.algorithm.seed == 1
    assert exp.source == path.resolve()


def test_text_loads_relative_to_the_given_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    exp = load_experiment_text(BASE, "editor.yaml", tmp_path)
    assert exp.model.dir == (tmp_path / "m").resolve()


def test_missing_model_folder_names_the_path(tmp_path: Path) -> None:
    report = check_text(BASE, "t.yaml", tmp_path)
    assert report.errors == [
        f"t.yaml:5 model.dir: folder ./m not found (looked at {(tmp_path / 'm')}); "
        "fix the path"
    ]


@pytest.mark.parametrize(
    ("typo", "fixed", "message"),
    [
        ("hyperparams:", "hyperparam:", "t.yaml:6 hyperparam: unknown key; did you mean hyperparams?"),  # noqa: E501
        ("{range: [0.0, 1.0]}", "{rnage: [0.0, 1.0]}", "t.yaml:7 hyperparams.x.rnage: unknown key; did you mean range?"),  # noqa: E501
        ("goal: minimize}", "gaol: minimize}", "t.yaml:2 objective.gaol: unknown key; did you mean goal?"),  # noqa: E501
        ("seed: 1}", "zzz: 1}", "t.yaml:3 algorithm.zzz: unknown key; known keys are name, seed, eta, resource, options"),  # noqa: E501
    ],
)  # fmt: skip
def test_unknown_keys_suggest_the_closest(
    tmp_path: Path, typo: str, fixed: str, message: str
) -> None:
    report = check(tmp_path, BASE.replace(typo, fixed))
    assert message in report.errors


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    report = check(
        tmp_path, BASE.replace("  x: {range: [0.0, 1.0]}", "  x: {range: [0.0")
    )
    assert len(report.errors) == 1
    assert report.errors[0].startswith("t.yaml:8: not valid YAML or JSON: ")


def test_not_a_mapping(tmp_path: Path) -> None:
    report = check(tmp_path, "- a\n- b\n")
    assert report.errors == [
        't.yaml:1: must be a mapping of settings, starting with name: (got ["a", "b"]); '  # noqa: E501
        "see the sample experiments"
    ]


def test_objective_and_name_errors(tmp_path: Path) -> None:
    text = BASE.replace("goal: minimize", "goal: min").replace(
        "name: t", "name: my exp"
    )
    assert check(tmp_path, text).errors == [
        "t.yaml:1 name: use letters, digits, '.', '_' and '-', starting with a letter "
        "or digit (got my exp); e.g. digits-mlp",
        "t.yaml:2 objective.goal: must be minimize or maximize (got min)",
    ]


def test_a_negative_seed_is_refused_at_validation(tmp_path: Path) -> None:
    text = BASE.replace("{name: Random, seed: 1}", "{name: TPE, seed: -1}")
    assert check(tmp_path, text).errors == [
        "t.yaml:3 algorithm.seed: must be a whole number 0 or above (got -1)"
    ]


def test_hyperband_settings_are_checked(tmp_path: Path) -> None:
    def algo(spec: str) -> list[str]:
        text = BASE.replace("{name: Random, seed: 1}", spec)
        return check(tmp_path, text).errors

    assert algo("{name: Hyperband, eta: 1, resource: {name: epochs, max: 81}}") == [
        "t.yaml:3 algorithm.eta: must be a number > 1 (got 1); 3 is usual"
    ]
    assert algo("{name: Hyperband, eta: 3}") == [
        "t.yaml:3 algorithm.resource: Hyperband needs a resource, e.g. "
        "resource: {name: epochs, max: 81}"
    ]
    assert algo("{name: Hyperband, resource: {name: epochs, max: 0}}") == [
        "t.yaml:3 algorithm.resource.max: must be a positive number (got 0)"
    ]
    assert algo("{name: Hyperband, resource: {name: x, max: 9}}") == [
        "t.yaml:3 algorithm.resource.name: x is also a hyperparameter; Hyperband "
        "sets it itself, so remove it from hyperparams"
    ]
    assert algo("{name: Hyperband, eta: .nan, resource: {name: epochs, max: 9}}") == [
        "t.yaml:3 algorithm.eta: must be a number > 1 (got NaN); 3 is usual"
    ]
    assert algo("{name: Hyperband, resource: {name: epochs, max: .inf}}") == [
        "t.yaml:3 algorithm.resource.max: must be a positive number (got Infinity)"
    ]
    short = BASE.replace(
        "{name: Random, seed: 1}",
        "{name: Hyperband, eta: 3, resource: {name: epochs, max: 2}}",
    )
    assert check(tmp_path, short).warnings == [
        "t.yaml:3 algorithm.resource.max: 2 is less than eta 3 times min 1, so "
        "Hyperband reduces to one bracket that runs every configuration at the full "
        "budget (plain random search); raise max or lower eta"
    ]
    text = BASE.replace(
        "{name: Random, seed: 1}",
        "{name: Hyperband, eta: 3, resource: {name: epochs, max: 81}}",
    )
    exp = check(tmp_path, text).experiment
    assert exp.algorithm.options == {
        "eta": 3,
        "resource": {"name": "epochs", "max": 81, "min": 1},
    }


def test_hyperband_keys_on_another_algorithm_warn(tmp_path: Path) -> None:
    text = BASE.replace("{name: Random, seed: 1}", "{name: Random, eta: 3}")
    report = check(tmp_path, text)
    assert report.warnings == [
        "t.yaml:3 algorithm.eta: used only by Hyperband; ignored here"
    ]


def test_trial_settings_are_read(tmp_path: Path) -> None:
    text = BASE + (
        "data_fraction: 0.25\ngpus_per_trial: 1\ngpus: '0,1'\n"
        "executor: {type: dask, address: 'tcp://127.0.0.1:8786'}\n"
        "early_stopping: {rule: median, grace_steps: 3}\n"
    )
    exp = check(tmp_path, text).experiment
    assert exp.data_fraction == 0.25 and exp.gpus_per_trial == 1
    assert exp.gpus == ("0", "1")
    assert exp.executor.type == "dask"
    assert exp.executor.address == "tcp://127.0.0.1:8786"
    assert exp.early_stopping == {"rule": "median", "grace_steps": 3}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("data_fraction: 1.5", "t.yaml:8 data_fraction: must be a number in (0, 1], e.g. 0.25 (got 1.5)"),  # noqa: E501
        ("gpus_per_trial: -1", "t.yaml:8 gpus_per_trial: must be a whole number >= 0 (got -1)"),  # noqa: E501
        ("gpus: {a: 1}", 't.yaml:8 gpus: must be a list of device ids such as [0, 1] (got {"a": 1})'),  # noqa: E501
        ("executor: {type: cloud}", "t.yaml:8 executor.type: input should be 'local' or 'dask' (got cloud)"),  # noqa: E501
        ("executor: {worker: 2}", "t.yaml:8 executor.worker: unknown key; did you mean workers?"),  # noqa: E501
        ("early_stopping: median", "t.yaml:8 early_stopping: must be a mapping such as {rule: median, grace_steps: 3, min_trials: 5} (got median)"),  # noqa: E501
    ],
)  # fmt: skip
def test_trial_setting_errors(tmp_path: Path, extra: str, message: str) -> None:
    assert check(tmp_path, BASE + extra + "\n").errors == [message]


# The explicit list -----------------------------------------------------------------

EXPLICIT = """\
name: e
algorithm: {name: ExperimentGridSearch}
model: {dir: ./m, command: python train.py}
"""


def test_explicit_list_keeps_identical_rows_with_a_warning(tmp_path: Path) -> None:
    text = EXPLICIT + (
        "experiments:\n"
        "  - {lr: 0.01, units: 64, act: relu}\n"
        "  - {lr: 0.1, units: 32, act: tanh}\n"
        "  - {lr: 0.01, units: 64, act: relu}\n"
    )
    report = check(tmp_path, text)
    assert report.warnings == [
        "t.yaml:7 experiments[2]: repeats experiments[0]; both run, as two trials"
    ]
    assert len(report.experiment.experiments) == 3
    assert report.experiment.hyperparams == ()


def test_explicit_rows_are_checked_against_declared_hyperparams(tmp_path: Path) -> None:
    text = EXPLICIT + (
        "hyperparams:\n  units: {range: [16, 128], type: int}\n"
        "experiments:\n  - {units: 64.0}\n  - {units: 500}\n"
    )
    report = check(tmp_path, text)
    assert report.errors == ["t.yaml:8 experiments[1]: units: 500 is outside [16, 128]"]
    fixed = check(tmp_path, text.replace("500", "32"))
    assert fixed.experiment.experiments == ({"units": 64}, {"units": 32})
    assert isinstance(fixed.experiment.experiments[0]["units"], int)


def test_explicit_rows_take_the_type_of_a_declared_int_list(tmp_path: Path) -> None:
    text = EXPLICIT + (
        "hyperparams:\n  x: {values: [1, 2.0], type: int}\n"
        "experiments:\n  - {x: 1}\n  - {x: 2.0}\n"
    )
    rows = check(tmp_path, text).experiment.experiments
    assert rows == ({"x": 1}, {"x": 2})
    assert [type(row["x"]) for row in rows] == [int, int]


def test_explicit_list_needs_its_algorithm(tmp_path: Path) -> None:
    assert check(tmp_path, EXPLICIT).errors == [
        "t.yaml experiments: ExperimentGridSearch needs the list of configurations to run"  # noqa: E501
    ]
    text = BASE + "experiments:\n  - {x: 0.5}\n"
    assert check(tmp_path, text).errors == [
        "t.yaml:8 experiments: only ExperimentGridSearch runs an explicit list; set "
        "algorithm.name: ExperimentGridSearch or remove experiments"
    ]


def test_search_needs_hyperparameters(tmp_path: Path) -> None:
    text = BASE.split("hyperparams:")[0]
    assert check(tmp_path, text).errors == [
        "t.yaml hyperparams: no hyperparameters; declare at least one"
    ]


# Sample files and the command line -------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "digits_random.yaml",
        "digits_grid.yaml",
        "digits_explicit.yaml",
        "digits_tpe.yaml",
        "digits_bayesian.yaml",
        "digits_hyperband.yaml",
        "digits_wmla_request.json",
    ],
)
def test_sample_experiments_are_valid(name: str) -> None:
    exp = load_experiment(SAMPLES / name)
    assert exp.model.dir == (SAMPLES / "digits_mlp").resolve()
    assert exp.model.command == ["python", "train.py"]


def test_load_raises_one_error_listing_every_problem(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = tmp_path / "bad.yaml"
    path.write_text(
        BASE.replace("0.0, 1.0", "1.0, 0.0").replace("max_jobs: 4", "max_jobs: 0")
    )
    with pytest.raises(ExperimentFileError) as caught:
        load_experiment(path)
    assert caught.value.exit_code == 2
    assert caught.value.problems == [
        f"{path}:4 limits.max_jobs: must be -1 (no limit) or a whole number >= 1 (got 0)",  # noqa: E501
        f"{path}:7 hyperparams.x: min 1.0 is above max 0.0; swap the bounds",
    ]
    assert str(caught.value).startswith(f"{path} has 2 errors:\n  {path}:4 ")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HPOTUI_HOME": str(cwd / "ws")}
    return subprocess.run(
        [sys.executable, "-m", "hpotui", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_validate_command(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "good.yaml").write_text(BASE + "  act: {values: [relu]}\n")
    (tmp_path / "bad.yaml").write_text(
        BASE.replace("{range: [0.0, 1.0]}", "{range: [0, 1], log: true}")
    )
    before = sorted(p.name for p in tmp_path.iterdir())

    good = run_cli("validate", "good.yaml", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines() == [
        "note: good.yaml:8 hyperparams.act: a single value pins it to relu",
        "good.yaml: ok: t, Random, 2 hyperparameters (continuous)",
    ]

    bad = run_cli("validate", "bad.yaml", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: bad.yaml has 1 error:",
        "  bad.yaml:7 hyperparams.x: log scale of an int range needs min >= 1 (got 0)",
    ]

    missing = run_cli("validate", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == "error: nope.yaml: no such file; check the path\n"
    assert "Traceback" not in good.stderr + bad.stderr + missing.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_grid_over_a_continuous_range_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("{name: Random, seed: 1}", "{name: Grid}")
    assert check(tmp_path, text).errors == [
        "t.yaml:7 hyperparams.x: Grid needs a finite space; give this range a step "
        "or a list of values, or use Random"
    ]
    stepped = text.replace("{range: [0.0, 1.0]}", "{range: [0.0, 1.0], step: 0.25}")
    assert check(tmp_path, stepped).errors == []


def test_unknown_algorithm_name_warns_with_the_closest(tmp_path: Path) -> None:
    text = BASE.replace("{name: Random, seed: 1}", "{name: Randm}")
    assert check(tmp_path, text).warnings == [
        "t.yaml:3 algorithm.name: Randm is not a built-in algorithm; did you mean "
        "Random? it must be an installed plugin"
    ]
    plugin = BASE.replace("{name: Random, seed: 1}", "{name: tpe}")
    assert check(tmp_path, plugin).warnings == []


def test_hyperparams_as_a_list_of_model_fields(tmp_path: Path) -> None:
    text = BASE.split("hyperparams:")[0] + (
        "hyperparams:\n"
        "  - {name: lr, type: double, low: 0.0001, high: 0.1, log: true}\n"
        "  - {name: layers, type: int, low: 1, high: 5}\n"
        "  - {name: opt, type: str, values: [adam, sgd]}\n"
    )
    exp = check(tmp_path, text).experiment
    assert [(hp.name, hp.type, hp.low, hp.high, hp.log) for hp in exp.hyperparams] == [
        ("lr", "double", 0.0001, 0.1, True),
        ("layers", "int", 1, 5, False),
        ("opt", "str", None, None, False),
    ]
    twice = text.replace("name: layers", "name: lr")
    assert check(tmp_path, twice).errors == [
        "t.yaml:8 hyperparams[1].name: lr is declared twice; rename or remove one"
    ]


def test_duplicate_keys_are_reported_with_their_line(tmp_path: Path) -> None:
    report = check(tmp_path, BASE + "  x: {values: [1]}\n")
    assert len(report.errors) == 1
    assert report.errors[0].startswith("t.yaml:8: not valid YAML or JSON: found ")
    assert report.errors[0].endswith("; keep one of them")


def test_plugin_options_reach_the_algorithm(tmp_path: Path) -> None:
    text = BASE.replace(
        "{name: Random, seed: 1}",
        "{name: my-plugin, seed: 3, options: {plugin_timeout: 30, depth: deep}}",
    )
    exp = check(tmp_path, text).experiment
    assert exp.algorithm.options == {"plugin_timeout": 30, "depth": "deep"}
    reserved = BASE.replace("{name: Random, seed: 1}", "{name: x, options: {eta: 3}}")
    assert (
        "t.yaml:3 algorithm.options.eta: set eta in its own place, not under "
        in (check(tmp_path, reserved).errors[0])
    )


def test_explicit_list_reaches_the_algorithm() -> None:
    exp = load_experiment(SAMPLES / "digits_explicit.yaml")
    algorithm = create_algorithm(
        exp.algorithm.name, exp.search_space(), options=exp.algorithm_options()
    )
    rows = [s.params for s in algorithm.suggest(5, [], [])]
    assert rows == [dict(row) for row in exp.experiments]
    assert rows[1] == {"learning_rate": 0.01, "hidden_units": 32, "activation": "tanh"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "{startup_trial: 3}",
            "t.yaml:3 algorithm.options.startup_trial: TPE has no such option; did "
            "you mean startup_trials? it takes startup_trials, candidates, gamma, "
            "max_good, prior_weight, cooling_trials",
        ),
        (
            "{gamma: 2}",
            "t.yaml:3 algorithm.options.gamma: must be > 0 and <= 1 (got 2)",
        ),
        (
            "{candidates: 4.5}",
            "t.yaml:3 algorithm.options.candidates: must be a whole number (got 4.5)",
        ),
        (
            "{prior_weight: yes}",
            "t.yaml:3 algorithm.options.prior_weight: must be a number (got 'yes')",
        ),
    ],
)
def test_builtin_algorithm_options_are_checked(
    tmp_path: Path, options: str, message: str
) -> None:
    text = BASE.replace("{name: Random, seed: 1}", f"{{name: TPE, options: {options}}}")
    assert check(tmp_path, text).errors == [message]


@pytest.mark.parametrize(
    ("algorithm", "options", "message"),
    [
        (
            "Hyperband",
            "{iteration: 2}",
            "t.yaml:3 algorithm.options.iteration: Hyperband has no such option; did "
            "you mean iterations? it takes iterations",
        ),
        (
            "ASHA",
            "{bogus: 1}",
            "t.yaml:3 algorithm.options.bogus: ASHA has no such option; it takes "
            "iterations",
        ),
        (
            "BOHB",
            "{min_points: -1}",
            "t.yaml:3 algorithm.options.min_points: must be >= 1 (got -1)",
        ),
        (
            "BOHB",
            "{model: XGB}",
            "t.yaml:3 algorithm.options.model: must be TPE or GP (got 'XGB')",
        ),
        (
            "BOHB",
            "{random_fraction: 2}",
            "t.yaml:3 algorithm.options.random_fraction: must be >= 0 and <= 1 (got 2)",
        ),
    ],
)
def test_hyperband_options_are_checked_as_the_run_checks_them(
    tmp_path: Path, algorithm: str, options: str, message: str
) -> None:
    """Typos and bad values under a Hyperband variant's options used to pass the
    check and be ignored or refused only by the run, under another field name.
    The file's check and the algorithm now give the same message."""
    spec = (
        f"{{name: {algorithm}, resource: {{name: epochs, max: 9}}, options: {options}}}"
    )
    text = BASE.replace("{name: Random, seed: 1}", spec)
    assert check(tmp_path, text).errors == [message]

    good = check(tmp_path, BASE.replace("{name: Random, seed: 1}", spec.replace(
        f"options: {options}", "options: {iterations: 1}"
    ))).experiment  # fmt: skip
    raw = {**good.algorithm_options(), **_yaml_mapping(options)}
    with pytest.raises(ExperimentFileError) as caught:
        create_algorithm(algorithm, good.search_space(), options=raw)
    assert caught.value.message == message.removeprefix("t.yaml:3 ")


def _yaml_mapping(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


def test_gp_options_reach_the_algorithm(tmp_path: Path) -> None:
    text = BASE.replace(
        "{name: Random, seed: 1}", "{name: Bayesian, options: {startup_trials: 4}}"
    )
    report = check(tmp_path, text)
    assert report.errors == []
    experiment = report.experiment
    algorithm = create_algorithm(
        "Bayesian", experiment.search_space(), options=experiment.algorithm_options()
    )
    assert algorithm.settings["startup_trials"] == 4
    assert algorithm.settings["fit_points"] == 100


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "{name: Hyperband, eta: '3', resource: {name: epochs, max: 81}}",
            't.yaml:3 algorithm.eta: must be a number > 1 (got "3", a string; write '
            "the number without quotes); 3 is usual",
        ),
        (
            "{name: Hyperband, resource: {name: epochs, max: '81'}}",
            't.yaml:3 algorithm.resource.max: must be a positive number (got "81", '
            "a string; write the number without quotes)",
        ),
    ],
)
def test_hyperband_numbers_written_as_strings_are_called_strings(
    tmp_path: Path, spec: str, message: str
) -> None:
    """eta: '3' was refused with "(got 3)", which hides that it is a string."""
    text = BASE.replace("{name: Random, seed: 1}", spec)
    assert check(tmp_path, text).errors == [message]
