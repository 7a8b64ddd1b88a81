"""What the lane says before it creates anything (account, region, what, cost), the question
it asks, and its refusals; the account path (SG_ACCEPTANCE_VOLUME_ARN) is run against the
emulator through AWS_ENDPOINT_URL, so that no real account is ever reached."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sg_snapshot_harness.acceptance import ACCEPTANCE_TAG, Identity, Target, new_run
from sg_snapshot_harness.acceptance.plan import Plan, make_plan
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import DUMMY_AWS_ENVIRONMENT
from sg_snapshot_provider.emulator import Emulator
from tests.acceptance.test_lane import SCENARIOS, SCRIPT, environment_without_aws
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, VOLUME_ARN

#: The only requests the lane may make before it is told to go on.
READ_ONLY_BEFORE_CONFIRMATION = [
    "sts:GetCallerIdentity",
    "storagegateway:DescribeCachediSCSIVolumes",
]


def test_the_plan_names_account_region_what_and_cost(emulator: Emulator) -> None:
    target = Target(VOLUME_ARN, endpoint_url=emulator.url)
    mark = new_run()
    text = "\n".join(make_plan(target, target.identity(), mark).lines())
    assert f"account {ACCOUNT_ID} (arn:aws:sts::{ACCOUNT_ID}:user/moto), region {REGION}" in text
    assert f"volume {VOLUME_ARN}" in text
    assert "creates up to 7 EBS snapshots" in text
    assert f"{ACCEPTANCE_TAG} = {mark.value}" in text
    # 7 snapshots x 1 GiB (the emulator's volume) x 1 h / 730 h x $0.05 = $0.00048
    assert "expected cost: at most $0.0005: 7 snapshots x 1.0 GiB (its whole size) x 1 h" in text
    assert "API calls are free" in text


@pytest.mark.parametrize(("gib", "usd"), [(1.0, 0.000479), (100.0, 0.047945), (0.0, 0.0)])
def test_the_worst_case_cost_is_prorated_storage(gib: float, usd: float) -> None:
    plan = Plan(Target(VOLUME_ARN), Identity(ACCOUNT_ID, "arn"), new_run(), gib, "test")
    assert plan.worst_cost_usd == pytest.approx(usd, abs=1e-6)


def run_account_path(
    emulator: Emulator, volume_arn: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **environment_without_aws(),
        **DUMMY_AWS_ENVIRONMENT,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": emulator.url,
        "SG_ACCEPTANCE_VOLUME_ARN": volume_arn,
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def requests(emulator: Emulator) -> list[str]:
    return [f"{call.service}:{call.operation}" for call in emulator.calls()]


def test_an_account_run_asks_first_and_makes_nothing_unconfirmed(
    emulator: Emulator, ec2: Ec2View
) -> None:
    done = run_account_path(emulator, VOLUME_ARN)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"account {ACCOUNT_ID}" in done.stdout
    assert "expected cost: at most $" in done.stdout
    assert "Not confirmed: stdin is not a terminal; run with --yes" in done.stdout
    assert requests(emulator) == READ_ONLY_BEFORE_CONFIRMATION
    assert ec2.snapshot_ids() == set()


def test_a_volume_of_another_account_is_refused_before_any_change(emulator: Emulator) -> None:
    foreign = VOLUME_ARN.replace(ACCOUNT_ID, "111122223333")
    done = run_account_path(emulator, foreign, "--yes")
    assert done.returncode == 2
    assert "names a volume of account 111122223333, but the credentials are of account" in (
        done.stdout
    )
    assert requests(emulator) == ["sts:GetCallerIdentity"]


def test_a_malformed_volume_arn_is_refused_before_any_aws_call(emulator: Emulator) -> None:
    done = run_account_path(emulator, "vol-1122AABB", "--yes")
    assert done.returncode == 2
    assert "SG_ACCEPTANCE_VOLUME_ARN must be a Storage Gateway volume ARN" in done.stdout
    assert requests(emulator) == []


def test_the_account_path_with_yes_runs_every_scenario(emulator: Emulator, ec2: Ec2View) -> None:
    """Credentials and endpoint from the environment, as in an account: the plugin gets them
    as they are (here the emulator's)."""
    done = run_account_path(emulator, VOLUME_ARN, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    for scenario in SCENARIOS:
        assert f"PASSED   {scenario}" in done.stdout
    assert f"against AWS_ENDPOINT_URL={emulator.url}" in done.stdout
    assert ec2.snapshot_ids() == set()


def test_an_unknown_volume_size_gives_the_cost_per_gib() -> None:
    plan = Plan(Target(VOLUME_ARN), Identity(ACCOUNT_ID, "arn"), new_run(), 0.0, "size unknown")
    assert "expected cost: at most $0.00048 per GiB of data on the volume (size unknown)" in (
        "\n".join(plan.lines())
    )


def test_the_account_path_runs_under_exactly_the_acceptance_policy(
    emulator: Emulator, ec2: Ec2View
) -> None:
    """Every request of the lane and of the plugin it drives (the dummy credentials of both)
    is checked against ``iam/acceptance.json``: the whole run passes with no refusal."""
    document = json.loads((REPO_ROOT / "iam" / "acceptance.json").read_text())
    emulator.set_iam_policy(document, access_key=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"])
    done = run_account_path(emulator, VOLUME_ARN, "--yes")
    assert emulator.iam_denials() == []
    assert done.returncode == 0, done.stdout + done.stderr
    for scenario in SCENARIOS:
        assert f"PASSED   {scenario}" in done.stdout
    called = set(requests(emulator))
    assert "storagegateway:DescribeCachediSCSIVolumes" in called
    assert "storagegateway:ListVolumeRecoveryPoints" in called
    assert ec2.snapshot_ids() == set()
