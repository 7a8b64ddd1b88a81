"""Many resources at once through one plugin (4 workers, 8 requests in flight): each gets
exactly its own snapshot and tags. A fresh plugin per round, so the lazily built client cache
is raced from cold every time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sg_snapshot_harness import Engine
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG
from tests.conftest import REPO_ROOT, VOLUME_ARN

RESOURCES = 100
IN_FLIGHT = 8
ROUNDS = 3


def _inputs(name: str, generation: str) -> dict[str, object]:
    return {
        "volume_arn": VOLUME_ARN,
        "description": f"concurrent {name}",
        "tags": {"name": name, "generation": generation},
    }


def _round(emulator: Emulator, ec2: Ec2View) -> None:
    plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
    try:
        plugin.configure({"aws:region": "us-east-1"})
        engine = Engine(plugin, StorageGatewaySnapshotProvider())
        names = [f"r{i:03d}" for i in range(RESOURCES)]
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            ids = pool.map(lambda n: engine.up(n, _inputs(n, "1")).id, names)
            created = dict(zip(names, ids, strict=True))
            assert len(set(created.values())) == RESOURCES
            assert ec2.snapshot_ids() == set(created.values())
            list(pool.map(lambda n: engine.up(n, _inputs(n, "2")), names))
            for name, snapshot_id in created.items():
                snapshot = ec2.snapshot(snapshot_id) or {}
                tags = {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}
                tags.pop(CREATE_TOKEN_TAG)
                assert tags == {"name": name, "generation": "2"}
                assert snapshot["Description"] == f"concurrent {name}"
            list(pool.map(engine.destroy, names))
        assert ec2.snapshot_ids() == set()
        assert engine.names() == []
    finally:
        plugin.cleanup()


def test_hundred_resources_eight_in_flight(emulator: Emulator) -> None:
    ec2 = Ec2View(emulator.url)
    for _ in range(ROUNDS):
        _round(emulator, ec2)
