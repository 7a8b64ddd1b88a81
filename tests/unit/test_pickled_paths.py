"""The paths state pickles the providers by (dill, by reference: module and class name).

Every stack's state holds these strings: a provider serialized today must be byte for byte the
one tests/data/golden_*provider.txt holds (written by earlier releases), so that moving a class
between modules changes nothing in new states and older releases still read them. That the
golden strings still deserialize, refresh and destroy is tests/engine/test_upgrade.py's job."""

from __future__ import annotations

import base64
import pickletools
from pathlib import Path

import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

import sg_snapshot_provider.provider
import sg_snapshot_provider.providers.snapshot
from sg_snapshot_provider import (
    SnapshotSeriesProvider,
    StorageGatewaySnapshotProvider,
    VolumeSnapshotScheduleProvider,
)

DATA = Path(__file__).parents[1] / "data"

CASES = [
    (StorageGatewaySnapshotProvider, "golden_provider.txt", "sg_snapshot_provider.provider"),
    (SnapshotSeriesProvider, "golden_series_provider.txt", "sg_snapshot_provider.providers.series"),
    (
        VolumeSnapshotScheduleProvider,
        "golden_schedule_provider.txt",
        "sg_snapshot_provider.providers.schedule",
    ),
]


def pickled_names(serialized: str) -> list[str]:
    """The strings of the pickle (module and class name, for a class pickled by reference)."""
    ops = pickletools.genops(base64.b64decode(serialized))
    return [str(arg) for op, arg, _ in ops if op.name in ("SHORT_BINUNICODE", "BINUNICODE")]


@pytest.mark.parametrize(("cls", "golden", "module"), CASES)
def test_a_provider_pickles_as_the_golden_state_does(
    cls: type[ResourceProvider], golden: str, module: str
) -> None:
    serialized = serialize_provider(cls())
    assert pickled_names(serialized) == [module, cls.__name__]
    assert serialized == (DATA / golden).read_text().strip()


def test_the_snapshot_provider_has_one_class_under_both_paths() -> None:
    assert (
        sg_snapshot_provider.provider.StorageGatewaySnapshotProvider
        is sg_snapshot_provider.providers.snapshot.StorageGatewaySnapshotProvider
    )
