"""EC2's request throttling (``emulator.throttling``): the bucket model against the documented
sizes with a fake clock, then the answer over HTTP as botocore sees it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import BucketOptions, Emulator
from sg_snapshot_provider.emulator.throttling import TokenBuckets, bucket_of
from tests.conftest import REGION, VOLUME_ARN
from tests.emulator.conftest import OTHER_ACCOUNT_ID, error_code, http_status, make_client

ACCOUNT = "123456789012"
FILTERED = {"Filter.1.Name": "snapshot-id", "Filter.1.Value.1": "snap-12345678"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def buckets(**options: float) -> tuple[TokenBuckets, FakeClock]:
    clock = FakeClock()
    return TokenBuckets(BucketOptions(**options), clock=clock), clock


def drain(model: TokenBuckets, action: str, params: dict[str, str] | None = None) -> int:
    """Requests answered before the first throttled one (at one instant)."""
    taken = 0
    while model.take(ACCOUNT, REGION, action, params or {}) and taken < 10_000:
        taken += 1
    return taken


@pytest.mark.parametrize(
    ("action", "params", "capacity", "refill"),
    [
        ("DescribeSnapshots", FILTERED, 100, 20),
        ("DescribeSnapshots", {"MaxResults": "1000"}, 100, 20),
        ("DescribeSnapshots", {"SnapshotId.1": "snap-12345678"}, 50, 10),
        ("DescribeSnapshots", {}, 50, 10),
        ("DescribeTags", {}, 100, 20),
        ("CreateSnapshot", {}, 100, 5),
        ("DeleteSnapshot", {}, 100, 5),
        ("ModifySnapshotAttribute", {}, 100, 5),
        ("CreateTags", {}, 100, 10),
        ("DeleteTags", {}, 100, 10),
        ("RegisterImage", {}, 50, 5),
    ],
)
def test_documented_capacity_and_refill(
    action: str, params: dict[str, str], capacity: int, refill: int
) -> None:
    model, clock = buckets()

    assert drain(model, action, params) == capacity
    clock.now += 1.0
    assert drain(model, action, params) == refill
    clock.now += 1000.0  # refilled to capacity, never beyond
    assert drain(model, action, params) == capacity


def test_a_throttled_request_takes_no_token() -> None:
    model, clock = buckets()
    drain(model, "CreateTags")
    for _ in range(50):
        assert not model.take(ACCOUNT, REGION, "CreateTags", {})
    clock.now += 0.5
    assert drain(model, "CreateTags") == 5


def test_each_api_has_its_own_bucket() -> None:
    model, _ = buckets()
    drain(model, "CreateSnapshot")

    assert drain(model, "DeleteSnapshot") == 100
    assert drain(model, "CreateTags") == 100
    assert drain(model, "DescribeSnapshots", FILTERED) == 100
    assert drain(model, "DescribeSnapshots") == 50  # the unfiltered bucket is another one


def test_accounts_and_regions_do_not_share_buckets() -> None:
    model, _ = buckets()
    drain(model, "CreateSnapshot")

    assert model.take(OTHER_ACCOUNT_ID, REGION, "CreateSnapshot", {})
    assert model.take(ACCOUNT, "eu-west-1", "CreateSnapshot", {})
    assert not model.take(ACCOUNT, REGION, "CreateSnapshot", {})


def test_scale_multiplies_capacity_and_refill_speedup_refill_alone() -> None:
    model, clock = buckets(scale=0.1, speedup=4)

    assert drain(model, "CreateSnapshot") == 10
    clock.now += 1.0
    assert drain(model, "CreateSnapshot") == 2  # 5 * 0.1 * 4


def test_background_load_spends_its_share_of_the_refill() -> None:
    model, clock = buckets(background=0.5)
    drain(model, "DescribeSnapshots", FILTERED)
    clock.now += 1.0

    assert drain(model, "DescribeSnapshots", FILTERED) == 10  # half of 20
    assert model.tokens(ACCOUNT, REGION, "CreateTags", {}) == 100  # idle: still full


@pytest.mark.parametrize(
    "options", [{"scale": 0}, {"speedup": -1}, {"background": 1}, {"background": -0.1}]
)
def test_options_out_of_range_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        BucketOptions(**options)


def test_bucket_names_separate_unfiltered_describe() -> None:
    assert bucket_of("DescribeSnapshots", {})[0] != bucket_of("DescribeSnapshots", FILTERED)[0]


# --- over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def throttled_emulator(emulator: Emulator) -> Iterator[Emulator]:
    # Refill slowed so that nothing comes back during the test: the counts are exact.
    emulator.set_ec2_token_buckets(BucketOptions(scale=0.05, speedup=0.001))
    yield emulator
    emulator.set_ec2_token_buckets(None)


def unfiltered(ec2: object) -> None:
    """DescribeSnapshots with neither filter nor page size: 50 * 0.05 = 2 tokens here."""
    ec2.describe_snapshots(OwnerIds=["self"])  # type: ignore[attr-defined]


def test_an_empty_bucket_answers_request_limit_exceeded(throttled_emulator: Emulator) -> None:
    ec2 = make_client("ec2", throttled_emulator)
    unfiltered(ec2)
    unfiltered(ec2)

    with pytest.raises(ClientError) as caught:
        unfiltered(ec2)

    assert error_code(caught.value) == "RequestLimitExceeded"
    assert http_status(caught.value) == 503
    assert caught.value.response["Error"]["Message"] == "Request limit exceeded."
    assert caught.value.response["ResponseMetadata"]["RequestId"]
    log = throttled_emulator.calls()
    assert [c.status for c in log if c.operation == "DescribeSnapshots"] == [200, 200, 503]


def test_botocore_retries_it_as_throttling(throttled_emulator: Emulator) -> None:
    config = Config(retries={"mode": "standard", "total_max_attempts": 3})
    ec2 = make_client("ec2", throttled_emulator, config)
    unfiltered(ec2)
    unfiltered(ec2)

    with pytest.raises(ClientError) as caught:
        unfiltered(ec2)

    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    statuses = [c.status for c in throttled_emulator.calls() if c.operation == "DescribeSnapshots"]
    assert statuses == [200, 200, 503, 503, 503]


def test_throttling_leaves_other_apis_accounts_and_storage_gateway_alone(
    throttled_emulator: Emulator,
) -> None:
    ec2 = make_client("ec2", throttled_emulator)
    unfiltered(ec2)
    unfiltered(ec2)

    ec2.describe_snapshots(OwnerIds=["self"], MaxResults=5)
    unfiltered(make_client("ec2", throttled_emulator, account_id=OTHER_ACCOUNT_ID))
    sg = make_client("storagegateway", throttled_emulator)
    for _ in range(10):
        sg.list_gateways()
    assert {c.status for c in throttled_emulator.calls()} == {200}


def test_reset_returns_to_the_start_options(throttled_emulator: Emulator) -> None:
    throttled_emulator.reset()  # started without buckets: no throttling any more
    ec2 = make_client("ec2", throttled_emulator)
    for _ in range(5):
        unfiltered(ec2)


def test_started_with_buckets_the_cli_flags_reach_the_child() -> None:
    # CreateTags of a snapshot: 100 * 0.02 = 2 tokens, refilled at 10 * 0.02 * 0.01 per second.
    options = BucketOptions(scale=0.02, speedup=0.01, background=0.5)
    with Emulator(volumes=[VOLUME_ARN], ec2_token_buckets=options) as emulator:
        sg, ec2 = make_client("storagegateway", emulator), make_client("ec2", emulator)
        snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")[
            "SnapshotId"
        ]
        tag = {"Resources": [snapshot_id], "Tags": [{"Key": "k", "Value": "v"}]}
        ec2.create_tags(**tag)
        ec2.create_tags(**tag)
        with pytest.raises(ClientError) as caught:
            ec2.create_tags(**tag)
        assert error_code(caught.value) == "RequestLimitExceeded"
        emulator.reset()  # back to the start options: still throttled, buckets full again
        emulator.add_volume(VOLUME_ARN)
        snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")[
            "SnapshotId"
        ]
        tag["Resources"] = [snapshot_id]
        ec2.create_tags(**tag)
        ec2.create_tags(**tag)
        with pytest.raises(ClientError):
            ec2.create_tags(**tag)
