"""Benchmark: ``hpotui serve`` under 50 concurrent pollers of a 1,000-trial task.

The server runs in its own process on loopback; 50 asyncio clients poll
``GET /hypersearch/{name}`` with a token for a fixed time. Prints requests per
second and latency percentiles, and the same for a bare Starlette endpoint that
returns the same body precomputed (the reference: what HTTP and JSON alone cost
on this machine).

Run: ``python benchmarks/serve_load.py [--seconds 10] [--clients 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx

TRIALS = 1000
USER, PASSWORD = "alice", "bench-pw"
API = "/platform/rest/deeplearning/v1"


def _fill_workspace(root: Path) -> str:
    """A FINISHED task of ``TRIALS`` trials in alice's workspace; returns its name."""
    from hpotui.experiment.wmla import from_wmla_request
    from hpotui.server.tenants import Tenants
    from hpotui.states import ExperimentState, TrialState
    from hpotui.store import open_store

    model = root / "model"
    model.mkdir(parents=True)
    (model / "train.py").write_text("")
    request = {
        "modelSpec": {"args": "--model-main train.py"},
        "algoDef": {"algorithm": "Random", "maxJobNum": TRIALS, "maxParalleJobNum": 4,
                    "objectiveMetric": "loss", "objective": "minimize"},
        "hyperParams": [{"name": "lr", "type": "Range", "dataType": "DOUBLE",
                         "minDbVal": 0.001, "maxDbVal": 0.1}],
    }
    name = f"{USER}-hpo-1000000000000001"
    experiment = from_wmla_request(request, model, name=name)
    store = open_store(Tenants(root / "server").workspace(USER))
    store.create_experiment(experiment)
    for index in range(TRIALS):
        trial = store.add_trial(name, {"lr": 0.001 + index * 1e-4})
        store.start_trial(name, trial, model)
        store.end_trial(name, trial, TrialState.FINISHED, value=1.0 / (index + 1))
    store.set_state(name, ExperimentState.FINISHED)
    store.close()
    return name


def _serve(root: str, port: int, bare_body: str | None) -> None:
    import uvicorn

    if bare_body is None:
        from hpotui.server.app import create_app

        app = create_app(Path(root) / "server", Path(root) / "users.json")
    else:
        from starlette.applications import Starlette
        from starlette.responses import Response
        from starlette.routing import Route

        async def fixed(_request: object) -> Response:
            return Response(bare_body, media_type="application/json")

        app = Starlette(routes=[Route(API + "/hypersearch/{name}", fixed)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_up(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(base + "/conf")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("server did not start")


async def _poll(url: str, headers: dict, seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)

    async def poller(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await client.get(url, headers=headers)
            response.raise_for_status()
            latencies.append(time.perf_counter() - start)

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(poller(client) for _ in range(clients)))
    return latencies


def _measure(
    root: Path, name: str, bare: str | None, args: argparse.Namespace
) -> tuple:
    port = _free_port()
    process = multiprocessing.Process(target=_serve, args=(str(root), port, bare))
    process.start()
    base = f"http://127.0.0.1:{port}{API}"
    try:
        asyncio.run(_wait_up(base))
        headers = {}
        if bare is None:
            logon = httpx.get(f"http://127.0.0.1:{port}/auth/v1/logon",
                              auth=(USER, PASSWORD))
            headers["X-Auth-Token"] = logon.json()["accessToken"]
        url = f"{base}/hypersearch/{name}"
        body = httpx.get(url, headers=headers).text
        latencies = asyncio.run(_poll(url, headers, args.seconds, args.clients))
    finally:
        process.terminate()
        process.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / args.seconds, statistics.median(latencies), p99, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    from hpotui.server.users import add_user

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        add_user(root / "users.json", USER, PASSWORD)
        name = _fill_workspace(root)
        rps, median, p99, body = _measure(root, name, None, args)
        assert len(json.loads(body)["experiments"]) == TRIALS
        ref_rps, ref_median, ref_p99, _ = _measure(root, name, body, args)
    print(f"GET /hypersearch/{{name}}, {TRIALS} trials ({len(body) / 1e3:.0f} kB), "
          f"{args.clients} pollers, {args.seconds:g} s each")
    print(f"hpotui serve         {rps:8.1f} req/s  median {median * 1e3:7.1f} ms"
          f"  p99 {p99 * 1e3:7.1f} ms")
    print(f"bare Starlette (ref) {ref_rps:8.1f} req/s  median "
          f"{ref_median * 1e3:7.1f} ms  p99 {ref_p99 * 1e3:7.1f} ms")
    print(f"ratio: {rps / ref_rps:.2f}x the reference throughput")


if __name__ == "__main__":
    main()
