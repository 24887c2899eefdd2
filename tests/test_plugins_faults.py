"""Every way a plugin can misbehave ends in one clear PluginError; nothing hangs."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _plugin_kit import PluginKit, finished, open_kit

from hpotui.errors import AlgorithmError, ExperimentFileError, PluginError

# One plugin whose misbehaviour is chosen by the ``mode`` option.
FAULTY = """
import os
import signal
import shutil
import sys
import time

from plugins.core.base_plugin_opt import BasePluginOptimizer

GOOD = {"lr": 0.01, "layers": 2, "opt": "adam"}


class PluginOptimizer(BasePluginOptimizer):
    def __init__(self, name, hyper_parameters, **kwargs):
        super().__init__(name, hyper_parameters, **kwargs)
        self.mode = kwargs["mode"]
        self.calls = 0
        if self.mode == "init_raises":
            raise KeyError("random_seed")

    def search(self, number_samples, last_exp_results):
        self.calls += 1
        mode = self.mode
        if mode == "raises":
            raise ValueError("boom")
        if mode == "empty":
            if self.calls > 1:
                raise RuntimeError("asked again after saying it was done")
            return []
        if mode == "out_of_range":
            return [dict(GOOD, lr=5.0)]
        if mode == "unknown_name":
            return [dict(GOOD, momentum=0.9)]
        if mode == "too_many":
            return [dict(GOOD, layers=1 + i % 4) for i in range(number_samples + 3)]
        if mode == "hangs":
            time.sleep(60)
        if mode == "exits":
            os._exit(3)
        if mode == "crashes":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "not_a_list":
            return GOOD
        if mode == "not_plain":
            return [dict(GOOD, lr=object())]
        if mode == "strings":
            return [{"lr": "0.05", "layers": 3.0, "opt": "sgd"}]
        return [GOOD] * number_samples
"""


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[PluginKit]:
    yield from open_kit(tmp_path)


def _faulty(kit: PluginKit, mode: str, **options: object):  # type: ignore[no-untyped-def]
    kit.install_source("faulty", FAULTY)
    return kit.build("faulty", options={"mode": mode, **options})


def _failure(kit: PluginKit, mode: str, **options: object) -> PluginError:
    algorithm = _faulty(kit, mode, **options)
    with pytest.raises(PluginError) as caught:
        algorithm.suggest(2, [], [])
    return caught.value


def test_exception_in_search_names_the_error_and_logs_the_traceback(
    kit: PluginKit,
) -> None:
    error = _failure(kit, "raises")
    assert error.message == "plugin search() raised ValueError: boom"
    assert isinstance(error, AlgorithmError)
    log = kit.log("faulty")
    assert "Traceback (most recent call last)" in log
    assert 'raise ValueError("boom")' in log
    assert error.log_path == str(kit.root / "faulty.log")


def test_exception_in_init_is_reported_as_init(kit: PluginKit) -> None:
    error = _failure(kit, "init_raises")
    assert error.message == "plugin __init__() raised KeyError: 'random_seed'"


def test_an_empty_list_ends_the_search_for_good(kit: PluginKit) -> None:
    algorithm = _faulty(kit, "empty")
    assert algorithm.suggest(2, [], []) == []
    assert algorithm.suggest(2, [], []) == []
    assert algorithm.get_state()["exhausted"] is True


def test_a_value_out_of_range_is_refused_naming_parameter_and_bound(
    kit: PluginKit,
) -> None:
    error = _failure(kit, "out_of_range")
    assert error.message == (
        "plugin search() suggested a configuration outside the search space: "
        "lr: 5.0 is outside [0.0001, 0.1]"
    )


def test_an_unknown_parameter_is_refused_by_name(kit: PluginKit) -> None:
    error = _failure(kit, "unknown_name")
    assert error.message == (
        "plugin search() suggested a configuration outside the search space: "
        "momentum: not a parameter of this experiment"
    )


def test_more_suggestions_than_asked_are_cut_to_what_was_asked(
    kit: PluginKit,
) -> None:
    algorithm = _faulty(kit, "too_many")
    suggestions = algorithm.suggest(2, [], [])
    assert [s.params["layers"] for s in suggestions] == [1, 2]
    assert len(algorithm.suggest(1, finished(suggestions), [])) == 1


def test_a_hanging_plugin_is_stopped_after_the_timeout(kit: PluginKit) -> None:
    algorithm = _faulty(kit, "hangs", plugin_timeout=1)
    started = time.monotonic()
    with pytest.raises(PluginError) as caught:
        algorithm.suggest(2, [], [])
    assert time.monotonic() - started < 10
    assert caught.value.message == (
        "plugin search() gave no answer within 1 s and was stopped; if it needs "
        "longer, raise the algorithm option plugin_timeout (seconds)"
    )
    assert not algorithm._process.running  # type: ignore[attr-defined]


def test_a_plugin_that_exits_is_a_clear_error(kit: PluginKit) -> None:
    error = _failure(kit, "exits")
    assert error.message == (
        "plugin process exited with code 3 during search(); its output is in "
        f"{kit.root / 'faulty.log'}"
    )


def test_a_plugin_killed_by_a_signal_says_which(kit: PluginKit) -> None:
    error = _failure(kit, "crashes")
    assert error.message.startswith("plugin process was killed by SIGKILL during")


def test_after_a_failure_every_call_repeats_it_without_waiting(
    kit: PluginKit,
) -> None:
    algorithm = _faulty(kit, "exits")
    with pytest.raises(PluginError) as first:
        algorithm.suggest(1, [], [])
    with pytest.raises(PluginError) as again:
        algorithm.get_state()
    assert again.value.message == first.value.message


def test_a_result_that_is_not_a_list_is_refused(kit: PluginKit) -> None:
    error = _failure(kit, "not_a_list")
    assert error.message == (
        "plugin search() returned dict; it must return a list of dicts "
        "(an empty list ends the search)"
    )


def test_a_value_that_is_not_plain_data_is_refused(kit: PluginKit) -> None:
    error = _failure(kit, "not_plain")
    assert error.message.startswith(
        "plugin search() returned a value that is not plain data: object "
    )


def test_numbers_written_as_text_are_read_like_wmla_does(kit: PluginKit) -> None:
    algorithm = _faulty(kit, "strings")
    [suggestion] = algorithm.suggest(2, [], [])
    assert suggestion.params == {"lr": 0.05, "layers": 3, "opt": "sgd"}
    assert type(suggestion.params["layers"]) is int


def test_a_plugin_that_cannot_be_imported_says_why(kit: PluginKit) -> None:
    kit.install_source(
        "broken", "import not_a_module_anywhere\n\nclass PluginOptimizer: ...\n"
    )
    algorithm = kit.build("broken")
    with pytest.raises(PluginError) as caught:
        algorithm.suggest(1, [], [])
    assert caught.value.message.startswith(
        "plugin optimizer.py could not be loaded: ModuleNotFoundError: No module "
        "named 'not_a_module_anywhere'; fix the plugin or install what it imports"
    )


def test_a_bad_timeout_option_names_the_option(kit: PluginKit) -> None:
    kit.install_source("faulty", FAULTY)
    with pytest.raises(ExperimentFileError) as caught:
        kit.build("faulty", options={"mode": "ok", "plugin_timeout": "soon"})
    assert caught.value.message == (
        "algorithm.options.plugin_timeout: 'soon' is not a positive number of "
        "seconds; give e.g. 60"
    )


def test_the_interpreter_given_at_install_runs_the_plugin(kit: PluginKit) -> None:
    folder = kit.install_source("faulty", FAULTY)
    kit.registry.install(folder, "chosen", python=sys.executable)
    assert len(kit.build("chosen", options={"mode": "ok"}).suggest(2, [], [])) == 2

    kit.registry.install(folder, "missing", python=str(kit.root / "no-python"))
    with pytest.raises(PluginError) as caught:
        kit.build("missing", options={"mode": "ok"}).suggest(2, [], [])
    assert caught.value.message.startswith(
        f"cannot start the plugin with {kit.root / 'no-python'} "
    )


def test_a_plugin_folder_removed_under_an_experiment_is_a_clear_error(
    kit: PluginKit,
) -> None:
    algorithm = _faulty(kit, "ok")
    shutil.rmtree(kit.plugins_dir / "faulty" / "code")
    with pytest.raises(PluginError, match="has no optimizer.py any more"):
        algorithm.suggest(1, [], [])
