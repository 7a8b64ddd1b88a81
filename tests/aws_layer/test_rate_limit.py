"""The client-side rate limit (``aws.ratelimit``): one per EC2 bucket, shared by every user of
a cached client, learnt from RequestLimitExceeded; and throttled requests that wait instead of
failing. Counts and a fake clock, never wall time."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import CapacityNotAvailableError, EndpointConnectionError

from sg_snapshot_provider import aws
from sg_snapshot_provider.aws.ratelimit import (
    IN_FLIGHT_MAX,
    QUIET_SECONDS,
    RateLimiter,
    bucket_name,
    rate_limiter_of,
)
from sg_snapshot_provider.aws.retry import call_with_retries
from sg_snapshot_provider.emulator import BucketOptions, Emulator
from sg_snapshot_provider.settings import Settings
from tests.aws_layer.conftest import POLICY
from tests.aws_layer.helpers import operations
from tests.conftest import REGION


class FakeClock:
    """botocore's Clock interface, moved by hand (nothing here blocks on it)."""

    def __init__(self) -> None:
        self.now = 100.0

    def current_time(self) -> float:
        return self.now

    def sleep(self, amount: float) -> None:
        self.now += amount


def test_bucket_names_mirror_ec2s_buckets() -> None:
    assert bucket_name("CreateSnapshot", {}) == "CreateSnapshot"
    assert bucket_name("DescribeSnapshots", {"Filters": [{"Name": "x", "Values": []}]}) == (
        "DescribeSnapshots"
    )
    assert bucket_name("DescribeSnapshots", {"MaxResults": 5}) == "DescribeSnapshots"
    assert bucket_name("DescribeSnapshots", {"SnapshotIds": ["snap-1"]}) == (
        "DescribeSnapshots (unfiltered, unpaginated)"
    )


def test_no_limit_until_throttled_then_paced() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)  # type: ignore[arg-type]
    for _ in range(200):
        limiter.before_request("CreateSnapshot")
        clock.now += 0.001
        limiter.after_response("CreateSnapshot", throttled=False)
    assert not limiter.pacing("CreateSnapshot")

    limiter.after_response("CreateSnapshot", throttled=True)

    assert limiter.pacing("CreateSnapshot")
    bucket = limiter.limiter("CreateSnapshot")._token_bucket  # type: ignore[attr-defined]

    def drain() -> None:
        for _ in range(1000):  # a finite rate: the tokens run out at one instant
            bucket.acquire(block=False)

    with pytest.raises(CapacityNotAvailableError):
        drain()
    assert limiter.throttled == {"CreateSnapshot": 1}


def send_rate(limiter: RateLimiter, bucket: str) -> float:
    rate: float = limiter.limiter(bucket)._token_bucket.max_rate  # type: ignore[attr-defined]
    return rate


def test_a_burst_throttled_early_is_cut_from_its_own_rate() -> None:
    """100 deletes answered within 0.4 s (botocore's clocker would still measure 0 and cut
    to its floor of 0.5 per second), then one throttled: the limit is 0.7 times the burst's
    rate, not the floor."""
    clock = FakeClock()
    limiter = RateLimiter(clock)  # type: ignore[arg-type]
    for _ in range(100):
        limiter.before_request("DeleteSnapshot")
        clock.now += 0.004
        limiter.after_response("DeleteSnapshot", throttled=False)

    limiter.after_response("DeleteSnapshot", throttled=True, sent_at=clock.now - 0.01)

    assert limiter.pacing("DeleteSnapshot")
    assert 0.7 * 200 <= send_rate(limiter, "DeleteSnapshot") <= 0.7 * 260


def test_answers_in_flight_at_a_cut_do_not_cut_again() -> None:
    """64 deletes in flight when the bucket ran dry all come back throttled: one cut."""
    clock = FakeClock()
    limiter = RateLimiter(clock)  # type: ignore[arg-type]
    sent = []
    for _ in range(64):
        sent.append(limiter.before_request("DeleteSnapshot"))
        clock.now += 0.002
    for _ in range(40):
        limiter.after_response("DeleteSnapshot", throttled=False)
    limiter.after_response("DeleteSnapshot", throttled=True, sent_at=sent[40])
    after_one_cut = send_rate(limiter, "DeleteSnapshot")
    clock.now += 0.01
    for sent_at in sent[41:]:
        limiter.after_response("DeleteSnapshot", throttled=True, sent_at=sent_at)

    assert send_rate(limiter, "DeleteSnapshot") == after_one_cut
    assert limiter.throttled == {"DeleteSnapshot": 24}
    # A request sent after the cut and throttled is a new overload: it cuts again.
    clock.now += 1
    later = limiter.before_request("DeleteSnapshot")
    clock.now += 0.01
    limiter.after_response("DeleteSnapshot", throttled=True, sent_at=later)
    assert send_rate(limiter, "DeleteSnapshot") < after_one_cut


def test_a_throttled_api_does_not_pace_the_others() -> None:
    limiter = RateLimiter(FakeClock())  # type: ignore[arg-type]
    limiter.after_response("CreateSnapshot", throttled=True)
    assert limiter.pacing("CreateSnapshot")
    assert not limiter.pacing("DescribeSnapshots")
    assert not limiter.pacing("DeleteSnapshot")


def test_a_quiet_bucket_starts_over_unlimited() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)  # type: ignore[arg-type]
    limiter.after_response("CreateTags", throttled=True)
    clock.now += QUIET_SECONDS / 2
    assert limiter.pacing("CreateTags")
    clock.now += QUIET_SECONDS
    assert not limiter.pacing("CreateTags")


def test_every_user_of_an_account_and_region_shares_one_limiter(emulator: Emulator) -> None:
    first = aws.ec2_client(REGION, Settings())
    again = aws.ec2_client(REGION, Settings())
    other_region = aws.ec2_client("eu-west-1", Settings())

    assert rate_limiter_of(first) is not None
    assert rate_limiter_of(first) is rate_limiter_of(again)
    assert rate_limiter_of(other_region) is not rate_limiter_of(first)
    gateway = rate_limiter_of(aws.storagegateway_client(REGION, Settings()))
    assert gateway is not None  # Storage Gateway's API is paced apart from EC2's
    assert gateway is not rate_limiter_of(first)


def test_the_limiter_learns_from_the_emulators_buckets(emulator: Emulator) -> None:
    client = aws.ec2_client(REGION, Settings())
    limiter = rate_limiter_of(client)
    assert limiter is not None
    before = limiter.throttled.get("DescribeSnapshots (unfiltered, unpaginated)", 0)
    # 2 tokens, refilled at 10 * 0.05 * 2 = 1 per second.
    emulator.set_ec2_token_buckets(BucketOptions(scale=0.05, speedup=2))
    try:
        for _ in range(4):
            call_with_retries(
                lambda: client.describe_snapshots(SnapshotIds=[]),
                dataclasses.replace(
                    POLICY,
                    timings=dataclasses.replace(POLICY.timings, throttled_retry_seconds=30),
                ),
            )
    finally:
        emulator.set_ec2_token_buckets(None)
    statuses = [c.status for c in emulator.calls() if c.operation == "DescribeSnapshots"]
    assert statuses.count(200) == 4
    assert statuses.count(503) >= 1
    after = limiter.throttled["DescribeSnapshots (unfiltered, unpaginated)"]
    assert after - before == statuses.count(503)


# --- throttled requests wait rather than fail -----------------------------------------------


def throttled_policy(seconds: float) -> aws.RetryPolicy:
    timings = dataclasses.replace(POLICY.timings, throttled_retry_seconds=seconds)
    return aws.RetryPolicy(max_attempts=2, timings=timings)


def describe(emulator: Emulator, policy: aws.RetryPolicy) -> Any:
    client = aws.ec2_client(REGION, Settings())
    return call_with_retries(
        lambda: client.describe_snapshots(OwnerIds=["self"], MaxResults=5), policy
    )


def test_throttling_beyond_max_retries_is_waited_out(emulator: Emulator) -> None:
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=5)

    describe(emulator, throttled_policy(30))

    assert operations(emulator) == ["DescribeSnapshots"] * 6


def test_throttling_past_its_budget_counts_against_max_retries(emulator: Emulator) -> None:
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=None)

    with pytest.raises(Exception, match="RequestLimitExceeded"):
        describe(emulator, throttled_policy(0))

    assert operations(emulator) == ["DescribeSnapshots"] * 2


# --- at most IN_FLIGHT_MAX requests of one API in flight ------------------------------------


def test_requests_in_flight_are_bounded_per_api() -> None:
    limiter = RateLimiter(FakeClock())  # type: ignore[arg-type]
    assert all(limiter.enter("DeleteSnapshot", timeout=0) for _ in range(IN_FLIGHT_MAX))

    assert not limiter.enter("DeleteSnapshot", timeout=0)
    assert limiter.enter("CreateTags", timeout=0)  # another API has places of its own
    limiter.leave("DeleteSnapshot")
    assert limiter.enter("DeleteSnapshot", timeout=0)
    assert limiter.in_flight == {"DeleteSnapshot": IN_FLIGHT_MAX, "CreateTags": 1}


def test_a_request_gives_its_place_back_answered_or_not(emulator: Emulator) -> None:
    """Answered, throttled, or never answered (no connection): every place comes back, or
    the ninth request would wait."""
    client = aws.ec2_client(REGION, Settings())
    limiter = rate_limiter_of(client)
    assert limiter is not None
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=3)
    for _ in range(2 * IN_FLIGHT_MAX):  # 3 throttled, retried
        describe(emulator, throttled_policy(30))
    dead = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )
    dead_limiter = RateLimiter()
    dead_limiter.install(dead)
    for _ in range(3):
        with pytest.raises(EndpointConnectionError):
            dead.describe_snapshots(OwnerIds=["self"], MaxResults=5)

    assert limiter.in_flight.get("DescribeSnapshots") == 0
    assert dead_limiter.in_flight.get("DescribeSnapshots") == 0


def test_storage_gateway_throttling_is_learnt_by_its_own_limiter(emulator: Emulator) -> None:
    """ThrottlingException from Storage Gateway: retried, and from then on its API waits for
    the limiter; EC2's limits are not touched. No bound on requests in flight there."""
    gateway = aws.storagegateway_client(REGION, Settings())
    limiter = rate_limiter_of(gateway)
    ec2 = rate_limiter_of(aws.ec2_client(REGION, Settings()))
    assert limiter is not None
    assert ec2 is not None
    emulator.inject_fault("ListGateways", "ThrottlingException", times=2)

    call_with_retries(lambda: gateway.list_gateways(), throttled_policy(30))

    assert operations(emulator) == ["ListGateways"] * 3
    assert limiter.throttled == {"ListGateways": 2}
    assert limiter.pacing("ListGateways")
    assert not ec2.pacing("ListGateways")
    assert limiter.in_flight == {}
