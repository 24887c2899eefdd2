"""The LocalCluster the executor starts for ``executor.cluster: local``."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
import warnings

from hpotui.engine.dask_executor import _local_cluster


async def test_the_local_cluster_serves_no_dashboard_and_leaves_port_8787_alone() -> (
    None
):
    """Port 8787 taken by someone else: the cluster starts without the warning
    "Port 8787 is already in use", and serves no dashboard page (not even the
    page that asks to install bokeh)."""
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:
        pass  # already taken by another program, which is the case under test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cluster = await _local_cluster(1)
    try:
        port = cluster.scheduler.http_server.port
        assert port != 8787
        # the scheduler answers on this event loop: ask from a thread
        status = await asyncio.to_thread(_status, f"http://127.0.0.1:{port}/status")
        assert status == 404
    finally:
        await cluster.close()
        taken.close()
    assert not [w for w in caught if "already in use" in str(w.message)]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
