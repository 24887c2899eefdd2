"""WML-A notebooks' own requests, replayed with plain httpx against ``hpotui serve``.

Each request fixture is sent as the notebooks send it: multipart ``data`` (the
JSON string) and ``file`` (the model folder tarred as ``<model-dir>.modelDir.tar``,
gzip, one top-level folder), with its ``modelSpec.args`` unchanged, launcher
options and the model's own arguments included. Only ``maxJobNum`` is lowered to
keep the run short. The answers are checked against the shapes of the response
fixtures recorded on real clusters.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from wmla_helpers import fixture
from wmla_loopback import serving

from hpotui.server.app import API, create_app
from hpotui.server.users import add_user
from hpotui.store import open_store

pytestmark = pytest.mark.slow

TRAIN = textwrap.dedent(
    """
    import json, os
    config = json.load(open("config.json"))
    value = sum(float(v) for v in config.values() if isinstance(v, (int, float)))
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    json.dump([{"steps": 1, "loss": value, "mse_val": value}], open(path, "w"))
    print("value", value, flush=True)
    """
)
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
REQUESTS = ["request_hpo_random.json", "request_hpo_grid.json",
            "request_hpo_xgboost_power_step.json", "request_hpo_hyperband.json",
            "request_hpo_plugin.json"]  # fmt: skip
PLUGIN = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"


def _flag(args: str, flag: str) -> str:
    words = args.split()
    return words[words.index(flag) + 1]


def _model_tar(body: dict) -> bytes:
    """The model folder a notebook would tar: named by --model-dir, holding the
    script named by --model-main."""
    args = body["modelSpec"]["args"]
    folder, script = _flag(args, "--model-dir"), _flag(args, "--model-main")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = TRAIN.encode()
        info = tarfile.TarInfo(f"{folder}/{script}")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _plugin_tar() -> bytes:
    """The plugin folder flattened, optimizer.py at the root, as notebooks send it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(PLUGIN / "random" / "optimizer.py", arcname="optimizer.py")
    return buffer.getvalue()


async def _install_plugins(http: httpx.AsyncClient, base: str) -> str:
    """The local-path install is refused with a reason; the upload one works."""
    local = json.dumps(fixture("request_algorithm_install_local.json"))
    # The notebooks force multipart by sending ``data`` twice: a field and a file.
    refused = await http.post(f"{base}/hypersearch/algorithm/install",
                              files=[("data", (None, local)),
                                     ("data", ("data", local))])  # fmt: skip
    assert refused.status_code == 400
    assert refused.text.startswith("Error 400: installing from a server path")
    upload = fixture("request_algorithm_install_upload.json")
    sent = await http.post(
        f"{base}/hypersearch/algorithm/install",
        files={"data": (None, json.dumps(upload)),
               "file": (f"{upload['name']}.tar", _plugin_tar())},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    found = await http.get(f"{base}/hypersearch/algorithm/{upload['name']}")
    descriptor = found.json()
    assert descriptor["type"] == "USER_PLUGIN" and descriptor["logLevel"] == "DEBUG"
    return upload["name"]


async def _submit(http: httpx.AsyncClient, base: str, name: str, plugin: str) -> str:
    body = fixture(name)
    body["algoDef"]["maxJobNum"] = min(body["algoDef"]["maxJobNum"], 3)
    if name == "request_hpo_plugin.json":
        body["algoDef"]["algorithm"] = plugin
    model = _flag(body["modelSpec"]["args"], "--model-dir")
    sent = await http.post(
        f"{base}/hypersearch",
        files={"data": (None, json.dumps(body)),
               "file": (f"{model}.modelDir.tar", _model_tar(body))},
    )  # fmt: skip
    assert sent.status_code == 200, (name, sent.text)
    task = sent.json()
    assert isinstance(task, str) and task.startswith("Admin-hpo-")
    return task


async def _finished(http: httpx.AsyncClient, base: str, task: str) -> dict:
    for _ in range(600):
        body = (await http.get(f"{base}/hypersearch/{task}")).json()
        if body["state"] not in ("SUBMITTED", "RUNNING"):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"{task} did not end")


def _check_task_shape(body: dict, request: dict) -> None:
    reference = fixture("hpo_task_finished_random.json")
    assert list(body)[: len(reference)] == list(reference)
    assert body["state"] == "FINISHED" and body["creator"] == "Admin"
    jobs = min(request["algoDef"]["maxJobNum"], 3)
    assert body["progress"] == f"{jobs}/{jobs}"
    assert TIME.match(body["createtime"]) and re.match(r"^\d\d:\d\d:\d\d$",
                                                      body["duration"])
    keys = list(reference["experiments"][0])
    for item in body["experiments"]:
        assert [k for k in keys if k in item] == [k for k in item if k in keys]
        assert item["state"] == "FINISHED" and isinstance(item["metricVal"], float)
        assert TIME.match(item["startTime"]) and TIME.match(item["endTime"])
        for entry in item["hyperParams"]:
            assert isinstance(entry["fixedVal"], str)
            assert entry["dataType"] in ("double", "int", "str")
            assert entry["userDefined"] is False
    assert body["best"] in body["experiments"]


async def _check_execs(http: httpx.AsyncClient, base: str, item: dict) -> None:
    app_id = item["appId"]
    exec_body = (await http.get(f"{base}/execs/{app_id}")).json()
    assert exec_body["state"] == "FINISHED"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", exec_body["createTime"])
    log = await http.get(f"{base}/execs/{app_id}/log",
                         headers={"Accept": "application/json"})  # fmt: skip
    assert json.loads(log.text).startswith("value ")
    result = await http.get(f"{base}/execs/{app_id}/result",
                            headers={"Accept": "application/octet-stream"})  # fmt: skip
    size = int(result.headers["content-disposition"].split("size=")[1])
    assert size == len(result.content)
    with tarfile.open(fileobj=io.BytesIO(result.content)) as archive:
        names = archive.getnames()
    assert "./result/val_dict_list.json" in names and "./config.json" in names


async def test_notebook_requests_replayed_with_plain_httpx(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "Admin", "pw")
    with serving(create_app(tmp_path / "server", users)) as port:
        base = f"http://127.0.0.1:{port}{API}"
        async with httpx.AsyncClient(auth=("Admin", "pw"), timeout=60) as http:
            plugin = await _install_plugins(http, base)
            tasks = [await _submit(http, base, name, plugin) for name in REQUESTS]
            bodies = await asyncio.gather(*(_finished(http, base, t) for t in tasks))
            for name, body in zip(REQUESTS, bodies, strict=True):
                _check_task_shape(body, fixture(name))
            await _check_execs(http, base, bodies[0]["experiments"][0])
            await _check_answers_per_request(bodies)
            store = open_store(tmp_path / "server" / "users" / "Admin")
            ran = [store.definition(task).algorithm.name for task in tasks]
            store.close()
            assert ran == ["Random", "ExperimentGridSearch", "Random", "Hyperband",
                           plugin]  # fmt: skip

            stop = await http.put(f"{base}/hypersearch/{tasks[0]}")
            assert stop.status_code == 400
            said = f"Error 400: Model tuning {tasks[0]} is already stopped.\n"
            assert stop.text == said
            listed = (await http.get(f"{base}/hypersearch")).json()
            assert sorted(t["hpoName"] for t in listed) == sorted(tasks)
            assert (await http.delete(f"{base}/hypersearch")).status_code == 200
            assert (await http.get(f"{base}/hypersearch")).json() == []


async def _check_answers_per_request(bodies: list[dict[str, Any]]) -> None:
    """What each request asked for shows in its answer."""
    random, grid, xgboost, hyperband, plugin = bodies
    grid_rows = [{e["name"]: e["fixedVal"] for e in item["hyperParams"]}
                 for item in grid["experiments"]]  # fmt: skip
    sent = [{e["name"]: e["fixedVal"] for e in row["hyperParams"]}
            for row in fixture("request_hpo_grid.json")["experiments"]]  # fmt: skip
    assert sorted(map(json.dumps, grid_rows)) == sorted(map(json.dumps, sent))
    names = [e["name"] for e in xgboost["experiments"][0]["hyperParams"]]
    assert sorted(names) == sorted(
        p["name"] for p in fixture("request_hpo_xgboost_power_step.json")["hyperParams"]
    )
    budget = [e for e in hyperband["experiments"][0]["hyperParams"]
              if e["name"] == "epochs"]  # fmt: skip
    assert budget and budget[0]["dataType"] == "str"
    for body in (random, plugin):
        rates = [float(e["fixedVal"]) for item in body["experiments"]
                 for e in item["hyperParams"]]  # fmt: skip
        assert all(0.001 <= r <= 0.1 for r in rates)
