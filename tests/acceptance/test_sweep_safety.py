"""The sweep against leftovers made on purpose in the emulator: first every snapshot it must
never delete (who could be hurt), then the leftovers it must delete.

Ages are set through the sweep's clock: the emulator's snapshots start now, so "two hours
later" makes them two hours old.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sg_snapshot_harness.acceptance import ACCEPTANCE_TAG, RunMark, judge, sweep
from sg_snapshot_harness.acceptance.marks import ACCEPTANCE_PROJECT
from sg_snapshot_harness.acceptance.sweep import LockLookup, lock_reader
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import OWNER_TAG
from tests.conftest import ACCOUNT_ID, REGION, VOLUME_ARN

OTHER_ACCOUNT = "111122223333"
OTHER_VOLUME_ARN = VOLUME_ARN.replace(ACCOUNT_ID, OTHER_ACCOUNT)
NOW = datetime.now(UTC).replace(microsecond=0)
LATER = NOW + timedelta(hours=2)
OLD_RUN = RunMark("acc-0123abcd", NOW - timedelta(minutes=5))
NO_LOCKS: Callable[[list[str]], LockLookup] = lambda _ids: LockLookup({})  # noqa: E731


def client(emulator: Emulator, service: str, account: str = ACCOUNT_ID) -> Any:
    """A client of the emulator, acting as ``account`` (moto's account header)."""
    make_client: Any = boto3.client  # typed per service name; the name is a variable here
    made: Any = make_client(
        service,
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if account != ACCOUNT_ID:
        made.meta.events.register(
            "before-sign.*.*",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
        )
    return made


def make(
    emulator: Emulator, tags: dict[str, str], *, volume: str = VOLUME_ARN, account: str = ACCOUNT_ID
) -> str:
    """A snapshot as the lane makes one (Storage Gateway's CreateSnapshot, tags and all)."""
    answer = client(emulator, "storagegateway", account).create_snapshot(
        VolumeARN=volume,
        SnapshotDescription="made on purpose",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["SnapshotId"])


def run_sweep(emulator: Emulator, *, delete: bool, now: datetime = LATER, **extra: Any) -> Any:
    return sweep(
        client(emulator, "ec2"),
        account_id=ACCOUNT_ID,
        delete=delete,
        now=now,
        locks=extra.pop("locks", NO_LOCKS),
        **extra,
    )


def verdict_of(report: Any, snapshot_id: str) -> Any:
    return next(v for v in report.verdicts if v.snapshot_id == snapshot_id)


# --- who could be hurt: each must survive a sweep with --delete ---------------------------


def test_a_snapshot_without_the_tag_is_never_touched(emulator: Emulator, ec2: Ec2View) -> None:
    theirs = make(emulator, {"team": "storage", "Name": "nightly"})
    report = run_sweep(emulator, delete=True, now=NOW + timedelta(days=30))
    assert theirs not in {v.snapshot_id for v in report.verdicts}
    assert report.deleted == []
    assert ec2.exists(theirs)


def test_a_tagged_snapshot_younger_than_an_hour_is_kept(emulator: Emulator, ec2: Ec2View) -> None:
    """Another run in progress: by its start time, and by the run time its tag names."""
    running = make(emulator, {ACCEPTANCE_TAG: RunMark("acc-00000001", NOW).value})
    backdated = make(
        emulator, {ACCEPTANCE_TAG: RunMark("acc-00000002", NOW - timedelta(hours=5)).value}
    )
    report = run_sweep(emulator, delete=True, now=NOW + timedelta(minutes=30))
    for snapshot_id in (running, backdated):
        assert not verdict_of(report, snapshot_id).delete
        assert "younger than an hour" in verdict_of(report, snapshot_id).reason
        assert ec2.exists(snapshot_id)
    assert report.deleted == []


def test_another_accounts_snapshot_shared_with_us_is_kept(emulator: Emulator) -> None:
    emulator.add_volume(OTHER_VOLUME_ARN)
    theirs = make(
        emulator, {ACCEPTANCE_TAG: OLD_RUN.value}, volume=OTHER_VOLUME_ARN, account=OTHER_ACCOUNT
    )
    client(emulator, "ec2", OTHER_ACCOUNT).modify_snapshot_attribute(
        SnapshotId=theirs,
        Attribute="createVolumePermission",
        OperationType="add",
        UserIds=[ACCOUNT_ID],
    )
    report = run_sweep(emulator, delete=True)
    assert report.deleted == []
    still = client(emulator, "ec2", OTHER_ACCOUNT).describe_snapshots(SnapshotIds=[theirs])
    assert still["Snapshots"][0]["OwnerId"] == OTHER_ACCOUNT


def test_a_shared_snapshot_the_listing_returns_anyway_is_not_deleted() -> None:
    """Should DescribeSnapshots ever list a snapshot shared with us (AWS does, without
    OwnerIds=self), its owner stops the sweep: the stub refuses any DeleteSnapshot."""
    ec2: Any = boto3.client(
        "ec2", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    shared = {
        "SnapshotId": "snap-0123456789abcdef0",
        "OwnerId": OTHER_ACCOUNT,
        "StartTime": NOW - timedelta(days=3),
        "Tags": [{"Key": ACCEPTANCE_TAG, "Value": OLD_RUN.value}],
    }
    with Stubber(ec2) as stub:
        stub.add_response("describe_snapshots", {"Snapshots": [shared]})
        report = sweep(ec2, account_id=ACCOUNT_ID, delete=True, now=LATER, locks=NO_LOCKS)
        stub.assert_no_pending_responses()
    assert report.deleted == []
    assert "shared with us" in report.verdicts[0].reason


def test_a_snapshot_a_stack_adopted_is_kept(emulator: Emulator, ec2: Ec2View) -> None:
    """The tag is set only by the lane; a stack holds a tagged snapshot only by adopting it,
    which writes the stack's name into the owner tag."""
    adopted = make(
        emulator, {ACCEPTANCE_TAG: OLD_RUN.value, OWNER_TAG: "webshop/prod/nightly-root"}
    )
    report = run_sweep(emulator, delete=True)
    assert "held by webshop/prod/nightly-root" in verdict_of(report, adopted).reason
    assert report.deleted == []
    assert ec2.exists(adopted)


def test_a_locked_snapshot_is_kept_with_its_lock_state(emulator: Emulator, ec2: Ec2View) -> None:
    locked = make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value})
    asked: list[list[str]] = []

    def governance(snapshot_ids: list[str]) -> LockLookup:
        asked.append(snapshot_ids)
        return LockLookup({locked: "governance"})

    report = run_sweep(emulator, delete=True, locks=governance)
    assert asked == [[locked]]
    assert verdict_of(report, locked).reason.startswith("locked (governance)")
    assert report.deleted == []
    assert ec2.exists(locked)


def test_a_lock_lookup_that_fails_is_reported() -> None:
    """The emulator has no snapshot lock: the lookup says so instead of failing the sweep."""
    ec2: Any = boto3.client(
        "ec2", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_locked_snapshots",
            {"Snapshots": [{"SnapshotId": "snap-1", "LockState": "compliance-cooloff"}]},
            {"SnapshotIds": ["snap-1", "snap-2"]},
        )
        stub.add_client_error("describe_locked_snapshots", "UnauthorizedOperation")
        assert lock_reader(ec2)(["snap-1", "snap-2"]).states == {"snap-1": "compliance-cooloff"}
        failed = lock_reader(ec2)(["snap-3"])
    assert failed.states == {}
    assert failed.unknown_reason is not None
    assert "UnauthorizedOperation" in failed.unknown_reason


@pytest.mark.parametrize("value", ["", "manual", "acc-0123abcd", "acc-XYZ@2026-01-01T00:00:00Z"])
def test_a_tag_value_the_lane_never_writes_is_kept(value: str) -> None:
    snapshot = {
        "SnapshotId": "snap-1",
        "OwnerId": ACCOUNT_ID,
        "StartTime": NOW - timedelta(days=3),
        "Tags": [{"Key": ACCEPTANCE_TAG, "Value": value}],
    }
    verdict = judge(snapshot, account_id=ACCOUNT_ID, now=LATER, locks=LockLookup({}))
    assert not verdict.delete
    assert "not the lane's writing" in verdict.reason


def test_a_run_sweeping_its_own_leaves_other_runs_alone(emulator: Emulator, ec2: Ec2View) -> None:
    mine = RunMark("acc-0000aaaa", NOW)
    own = make(emulator, {ACCEPTANCE_TAG: mine.value})
    other = make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value})
    report = run_sweep(emulator, delete=True, now=NOW, only_run=mine.run_id)
    assert report.deleted == [own]
    assert "another run" in verdict_of(report, other).reason
    assert ec2.exists(other)
    assert not ec2.exists(own)


# --- what it must delete -------------------------------------------------------------------


def test_listing_deletes_nothing_and_delete_takes_only_the_leftovers(
    emulator: Emulator, ec2: Ec2View
) -> None:
    leftovers = [make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value}) for _ in range(2)]
    lane_owned = make(
        emulator,
        {ACCEPTANCE_TAG: OLD_RUN.value, OWNER_TAG: f"{ACCEPTANCE_PROJECT}/{OLD_RUN.run_id}/x"},
    )
    untagged = make(emulator, {"team": "storage"})
    listed = run_sweep(emulator, delete=False)
    assert {v.snapshot_id for v in listed.verdicts if v.delete} == {*leftovers, lane_owned}
    assert listed.deleted == []
    assert ec2.snapshot_ids() == {*leftovers, lane_owned, untagged}

    swept = run_sweep(emulator, delete=True)
    assert sorted(swept.deleted) == sorted([*leftovers, lane_owned])
    assert ec2.snapshot_ids() == {untagged}


# --- two sweeps at once, and what only looks gone ------------------------------------------


def test_a_leftover_another_sweep_deleted_first_is_already_gone_and_the_sweep_goes_on(
    emulator: Emulator, ec2: Ec2View
) -> None:
    """The other sweep's delete lands between this one's listing and its own delete (the
    emulator deletes, then answers NotFound, as EC2 answers the second of two deletes)."""
    leftovers = [make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value}) for _ in range(3)]
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.NotFound", mode="after", times=1)

    swept = run_sweep(emulator, delete=True)

    assert len(swept.gone) == 1
    assert sorted(swept.deleted + swept.gone) == sorted(leftovers)
    assert swept.failed == {}
    assert f"{swept.gone[0]}  already gone (deleted meanwhile)" in swept.lines()
    assert ec2.snapshot_ids() == set()


def test_a_delete_answered_not_found_while_ec2_still_shows_the_snapshot_is_not_gone(
    emulator: Emulator, ec2: Ec2View
) -> None:
    """EC2's eventual consistency: NotFound is no proof while DescribeSnapshots shows it."""
    leftover = make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value})
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.NotFound", times=1)

    swept = run_sweep(emulator, delete=True)

    assert swept.deleted == swept.gone == []
    assert "eventual consistency" in swept.failed[leftover]
    assert ec2.exists(leftover)
