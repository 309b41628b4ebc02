"""The cluster tests share one 2-worker LocalCluster on loopback (started once for the session by
`einsparse.cluster.client.local`) and cut their small operands into blocks all the same
size; each test module skips itself when dask.distributed is not installed."""

import pytest

from einsparse.cluster import client as clients
from einsparse.cluster import sizing


@pytest.fixture(scope="module")
def client():
    return clients.local(2)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Small operands, cut into blocks all the same, so that joining and combining run."""
    monkeypatch.setattr(sizing, "SMALLEST_BLOCK", 1)
