"""Every built-in algorithm through ``hpotui serve`` in WML-A's request form.

A real ``hpotui serve`` process on loopback runs real training scripts. The
multi-fidelity algorithms are asked for as WML-A notebooks ask for Hyperband:
``hyperbandEta`` in algoDef and ``ResourceName``/``ResourceValue`` in algoParams.
The script's loss depends on its learning rate and on the budget it read from
config.json, so each reported value shows which budget the trial really ran with.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import httpx
import pytest
from wmla_helpers import fixture
from wmla_loopback import serve_command

from hpotui.backends.profiles import Profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import TaskBook
from hpotui.backends.wmla.errors import RemoteRefusedError
from hpotui.records import TrialRecord
from hpotui.server.app import API
from hpotui.server.users import add_user
from hpotui.states import ExperimentState
from hpotui.store import open_store

TRAIN = textwrap.dedent(
    """
    import json, os
    config = json.load(open("config.json"))
    epochs = int(config.get("epochs", 1))
    loss = (float(config["learning_rate"]) - 0.05) ** 2 + 1.0 / epochs
    print("budget", epochs, flush=True)
    records = [{"steps": s + 1, "loss": loss + 0.01 * (epochs - s - 1)}
               for s in range(epochs)]
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    json.dump(records, open(path, "w"))
    """
)
BUDGETS = {1, 3, 9}
"""Hyperband's rungs for ResourceValue 9 and hyperbandEta 3."""


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _expected_loss(trial: TrialRecord) -> float:
    epochs = trial.extra.get("epochs", 1)
    return (trial.params["learning_rate"] - 0.05) ** 2 + 1.0 / epochs


def _request(algorithm: str, jobs: int, budget: bool) -> dict:
    body = fixture("request_hpo_hyperband.json")
    body["modelSpec"]["args"] = "--exec-start PyTorch --model-main train.py"
    body["algoDef"].update(algorithm=algorithm, maxJobNum=jobs, maxParalleJobNum=2)
    params = [{"name": "RandomSeed", "value": "5"}]
    if budget:
        params += [{"name": "ResourceName", "value": "epochs"},
                   {"name": "ResourceValue", "value": "9"}]  # fmt: skip
    else:
        del body["algoDef"]["hyperbandEta"]
    body["algoDef"]["algoParams"] = params
    return body


def _client(port: int, tmp_path: Path) -> WmlaBackend:
    profile = Profile(
        name="srv", url=f"http://127.0.0.1:{port}{API}", user="alice", auth="token",
        poll_interval=0.5,
    )  # fmt: skip
    return WmlaBackend(profile, "alice-pw", book=TaskBook(tmp_path / "tasks.json"),
                       fastest_poll=0.1)  # fmt: skip


async def _run(client: WmlaBackend, body: dict, model: Path) -> str:
    name = await client.submit_request(body, model)
    async for _event in client.events(name):
        pass
    return name


def _check_hyperband_promotions(trials: list[TrialRecord]) -> None:
    """Configurations run again at budget 3 are the best of those run at budget 1.

    With two trials at a time, Hyperband fills a free slot with the next bracket
    (new configurations, starting at budget 3) while a rung waits for its last
    result, so not every trial at budget 3 is a promotion.
    """
    first = [t for t in trials if t.extra["epochs"] == 1]
    rates = {t.params["learning_rate"] for t in first}
    promoted = [
        t.params["learning_rate"]
        for t in trials
        if t.extra["epochs"] == 3 and t.params["learning_rate"] in rates
    ]
    assert len(first) == 9 and promoted
    ranked = sorted(first, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
    best = {t.params["learning_rate"] for t in ranked[: len(promoted)]}
    assert set(promoted) == best


@pytest.mark.slow
async def test_every_builtin_algorithm_runs_through_serve(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    plans = {
        "Hyperband": (12, True), "ASHA": (8, True), "BOHB": (12, True),
        "TPE": (6, False), "Bayesian": (6, False),
    }  # fmt: skip
    with serve_command(tmp_path / "ws", users) as (port, _banner):
        client = _client(port, tmp_path)
        await client.log_on()
        names = await asyncio.gather(*(
            _run(client, _request(algo, jobs, budget), model)
            for algo, (jobs, budget) in plans.items()
        ))  # fmt: skip
        details = {algo: await client.get_experiment(name)
                   for algo, name in zip(plans, names, strict=True)}  # fmt: skip
        raw = httpx.get(
            f"http://127.0.0.1:{port}{API}/hypersearch/{names[0]}",
            auth=("alice", "alice-pw"),
        ).json()
        await client.close()

    for algo, (jobs, budget) in plans.items():
        detail = details[algo]
        assert detail.summary.state is ExperimentState.FINISHED, algo
        assert len(detail.trials) == jobs, algo
        for trial in detail.trials:
            assert trial.value == pytest.approx(_expected_loss(trial)), algo
            assert ("epochs" in trial.extra) is budget, algo
            assert "epochs" not in trial.params
        if budget:
            assert {t.extra["epochs"] for t in detail.trials} <= BUDGETS, algo
            assert max(t.extra["epochs"] for t in detail.trials) > 1, algo
    _check_hyperband_promotions(details["Hyperband"].trials)

    entry = raw["experiments"][0]["hyperParams"]
    assert [e["name"] for e in entry] == ["learning_rate", "epochs"]
    assert entry[1] == {"name": "epochs", "dataType": "str", "userDefined": False,
                        "fixedVal": "1"}  # fmt: skip
    store = open_store(tmp_path / "ws" / "server" / "users" / "alice")
    ran = {store.definition(name).algorithm.name for name in names}
    store.close()
    assert ran == set(plans)


async def test_hyperband_without_a_budget_is_refused_before_it_runs(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    body = _request("Hyperband", 4, budget=True)
    body["algoDef"]["algoParams"] = [{"name": "ResourceName", "value": "epochs"}]
    with serve_command(tmp_path / "ws", users) as (port, _banner):
        client = _client(port, tmp_path)
        with pytest.raises(RemoteRefusedError) as refused:
            await client.submit_request(body, model)
        assert refused.value.status == 400
        assert "Hyperband needs ResourceValue" in refused.value.excerpt
        assert "(missing)" in refused.value.excerpt
        body["algoDef"]["algoParams"] = [{"name": "ResourceValue", "value": "9"}]
        body["algoDef"]["algorithm"] = "ASHA"
        with pytest.raises(RemoteRefusedError, match="ASHA needs ResourceName"):
            await client.submit_request(body, model)
        assert await client.list_experiments() == []
        await client.close()
    assert not (tmp_path / "tasks.json").exists()  # nothing recorded
