"""The providers under exactly ``iam/provider.json``, through the real plugin.

The plugin signs with an access key of its own, and the emulator checks every request signed
with it against the policy (policy mode), as IAM would; the tests' own out-of-band calls use
other credentials and stay unrestricted. Every lifecycle scenario table of the three resources
(create, no-op, update, replace, refresh, drift, failures and their roll-backs, series
rotation, schedule updates…) and of the backup lifecycle inputs (lock, tier, sharing,
``keep_days``, ``verify_restore``, the schedule's ``retention``) plays again under the policy,
with the same exact-call checks as in its own module, plus adoption, ``from_recovery_point``
and the programs' ``ListVolumes``.
The actions they call must be exactly the policy's: one the policy lacks fails a scenario (the
emulator refuses it), and one the policy grants that no scenario calls fails the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from sg_snapshot_harness import Engine, PluginError, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import DUMMY_AWS_ENVIRONMENT, plugin_environment
from sg_snapshot_harness.scenarios import ScenarioRunner
from sg_snapshot_provider import (
    SnapshotSeriesProvider,
    StorageGatewaySnapshotProvider,
    VolumeSnapshotScheduleProvider,
)
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.program import gateway_volume_arns
from sg_snapshot_provider.settings import TIMINGS_ENV, settings_from_config
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE
from tests.conftest import GATEWAY_ARN, PLUGIN_TIMINGS, REGION, REPO_ROOT, VOLUME_ARN
from tests.engine import (
    test_lifecycle,
    test_protection_lifecycle,
    test_retention_lifecycle,
    test_schedule_lifecycle,
    test_series_lifecycle,
    test_series_protection_lifecycle,
    test_sharing_lifecycle,
)

#: Every table replayed: the three resources', then the lifecycle inputs'.
ALL_TABLES = (
    test_lifecycle.SCENARIOS,
    test_schedule_lifecycle.SCENARIOS,
    test_series_lifecycle.SCENARIOS,
    test_protection_lifecycle.SCENARIOS,
    test_series_protection_lifecycle.SCENARIOS,
    test_sharing_lifecycle.SNAPSHOT_SCENARIOS,
    test_sharing_lifecycle.SERIES_SCENARIOS,
    test_retention_lifecycle.SCENARIOS,
)

#: The access key the plugin signs with: the identity the policy is attached to.
PROVIDER_KEY = "AKIAPROVIDERPOLICY01"
STACK = "sg-snapshot-provider/test"
OTHER_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-3344CCDD"


def policy(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO_ROOT / "iam" / f"{name}.json").read_text())
    return document


def policy_actions(document: dict[str, Any]) -> set[str]:
    """Every action an Allow statement names (the policies name them one by one: no
    wildcards, which a test below checks)."""
    found: set[str] = set()
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            actions = statement["Action"]
            found.update([actions] if isinstance(actions, str) else actions)
    return found


def without(document: dict[str, Any], action: str) -> dict[str, Any]:
    """The policy with ``action`` taken out of every statement."""
    statements = []
    for statement in document["Statement"]:
        actions = statement["Action"]
        listed = [actions] if isinstance(actions, str) else actions
        kept = [a for a in listed if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


def start(emulator: Emulator, timings: dict[str, float]) -> PluginProcess:
    extra = {"AWS_ACCESS_KEY_ID": PROVIDER_KEY, TIMINGS_ENV: json.dumps(timings)}
    process = PluginProcess(plugin_environment(emulator.url, extra), cwd=REPO_ROOT).start()
    process.configure({"aws:region": REGION})
    return process


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start(emulator_server, PLUGIN_TIMINGS)
    try:
        yield process
    finally:
        process.cleanup()


@pytest.fixture(scope="module")
def series_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The series table's timings (a short wait before looking up a lost create)."""
    process = start(emulator_server, test_series_lifecycle.TIMINGS)
    try:
        yield process
    finally:
        process.cleanup()


def under(emulator: Emulator, *names: str) -> None:
    """A fresh emulator (two volumes of one gateway) whose provider key has these policies."""
    emulator.reset()
    emulator.add_volume(VOLUME_ARN)
    emulator.add_volume(OTHER_VOLUME_ARN)
    emulator.set_iam_policy(*(policy(name) for name in names), access_key=PROVIDER_KEY)
    emulator.clear_calls()


class Called:
    """The ``service:Action`` of every request the provider made, and the refusals."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.actions: set[str] = set()

    def take(self) -> None:
        self.actions.update(f"{c.service}:{c.operation}" for c in self.emulator.calls())
        assert self.emulator.iam_denials() == [], self.emulator.iam_denials()


def recording(runner: type[ScenarioRunner], called: Called) -> Any:
    """The table's own runner, noting the provider's calls of each checked step (the log
    holds only the plugin's calls then: out-of-band steps clear it behind them)."""

    class Recording(runner):  # type: ignore[misc, valid-type]
        def calls_of(self, step: Any) -> list[str]:
            called.take()
            calls: list[str] = super().calls_of(step)
            return calls

    return Recording


def play_tables(
    emulator: Emulator, ec2: Ec2View, plugin: PluginProcess, series: PluginProcess, called: Called
) -> int:
    tables: list[tuple[str, dict[str, Any], Callable[[], Engine], Callable[[Engine], Any]]] = [
        (
            "snapshot",
            test_lifecycle.SCENARIOS,
            lambda: Engine(plugin, StorageGatewaySnapshotProvider()),
            lambda engine: recording(test_lifecycle.LifecycleRunner, called)(engine, emulator, ec2),
        ),
        (
            "schedule",
            test_schedule_lifecycle.SCENARIOS,
            lambda: Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE),
            lambda engine: recording(test_schedule_lifecycle.ScheduleRunner, called)(
                engine, emulator
            ),
        ),
        (
            "series",
            test_series_lifecycle.SCENARIOS,
            lambda: Engine(series, SnapshotSeriesProvider(), type_token=SERIES_TYPE),
            lambda engine: recording(test_series_lifecycle.SeriesRunner, called)(
                engine, emulator, ec2
            ),
        ),
        *lifecycle_input_tables(emulator, ec2, plugin, series, called),
    ]
    played = 0
    for table, scenarios, new_engine, new_runner in tables:
        for name, steps in scenarios.items():
            under(emulator, "provider")
            runner = new_runner(new_engine())
            try:
                runner.play_all(steps)
            except Exception as error:  # name the scenario that failed
                raise AssertionError(
                    f"{table} scenario {name!r} under iam/provider.json: {error}"
                ) from error
            called.take()
            played += 1
    return played


Table = tuple[str, dict[str, Any], Callable[[], Engine], Callable[[Engine], Any]]


def lifecycle_input_tables(
    emulator: Emulator, ec2: Ec2View, plugin: PluginProcess, series: PluginProcess, called: Called
) -> list[Table]:
    """The backup lifecycle inputs' own tables: lock and tier (snapshot, series), sharing and
    restore tests (snapshot, series), the schedule's retention."""
    snapshot = lambda: Engine(plugin, StorageGatewaySnapshotProvider())  # noqa: E731
    series_engine = lambda: Engine(series, SnapshotSeriesProvider(), type_token=SERIES_TYPE)  # noqa: E731
    return [
        (
            "protection",
            test_protection_lifecycle.SCENARIOS,
            snapshot,
            lambda e: recording(test_protection_lifecycle.ProtectionRunner, called)(
                e, emulator, ec2
            ),
        ),
        (
            "series protection",
            test_series_protection_lifecycle.SCENARIOS,
            series_engine,
            lambda e: recording(test_series_protection_lifecycle.ProtectionRunner, called)(
                e, emulator, ec2
            ),
        ),
        (
            "sharing",
            test_sharing_lifecycle.SNAPSHOT_SCENARIOS,
            snapshot,
            lambda e: recording(test_sharing_lifecycle.SharingRunner, called)(e, emulator, ec2),
        ),
        (
            "series sharing and restore tests",
            test_sharing_lifecycle.SERIES_SCENARIOS,
            series_engine,
            lambda e: recording(test_sharing_lifecycle.SeriesSharingRunner, called)(
                e, emulator, ec2
            ),
        ),
        (
            "schedule retention",
            test_retention_lifecycle.SCENARIOS,
            lambda: Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE),
            lambda e: recording(test_retention_lifecycle.RetentionRunner, called)(e, emulator),
        ),
    ]


def adopt_and_recovery_point(engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    """What the tables leave out: a snapshot from the recovery point, and the adoption of one
    another resource of the stack let go (it carries the owner tag: no more is needed)."""
    made = engine.up(
        "rp",
        {
            "volume_arn": VOLUME_ARN,
            "description": "rp",
            "from_recovery_point": True,
            "stack_resource": f"{STACK}/rp",
        },
    )
    assert made.kind is StepKind.CREATE
    released = engine.up(
        "old",
        {
            "volume_arn": VOLUME_ARN,
            "description": "old",
            "stack_resource": f"{STACK}/old",
            "tags": {"team": "x"},
        },
    ).id
    engine.forget("old")  # retain_on_delete, then the resource left the program
    adopted = engine.up(
        "kept",
        {
            "volume_arn": VOLUME_ARN,
            "adopt_snapshot_id": released,
            "tags": {"team": "y"},
            "stack_resource": f"{STACK}/kept",
            "adopt_from_owner": f"{STACK}/old",
        },
    )
    assert adopted.id == released
    assert ec2.tags(released) == {"team": "y"}
    engine.destroy("kept")
    engine.destroy("rp")
    assert ec2.snapshot_ids() == set()


def test_the_policy_grants_exactly_what_the_lifecycle_scenarios_call(
    emulator: Emulator, ec2: Ec2View, plugin: PluginProcess, series_plugin: PluginProcess
) -> None:
    called = Called(emulator)
    played = play_tables(emulator, ec2, plugin, series_plugin, called)
    # every scenario of the eight tables, not a handful
    assert played == sum(len(table) for table in ALL_TABLES)

    under(emulator, "provider")
    adopt_and_recovery_point(Engine(plugin, StorageGatewaySnapshotProvider()), emulator, ec2)
    called.take()
    # The scenarios the lifecycle inputs' modules write as functions: keep_days (its ageing
    # edits the state), and the default EBS key refused before any share.
    under(emulator, "provider")
    test_retention_lifecycle.test_series_keep_days__lifecycle(plugin, emulator)
    called.take()
    under(emulator, "provider")
    test_sharing_lifecycle.test_the_default_ebs_key_is_refused_before_any_share(
        Engine(plugin, StorageGatewaySnapshotProvider()), emulator, ec2
    )
    called.take()
    # The programs' ListVolumes (examples/every-volume, examples/scheduled-volumes), with the
    # stack's identity.
    config = {"aws:region": REGION, "aws:accessKey": PROVIDER_KEY, "aws:secretKey": "x"}
    settings = settings_from_config(config.get)
    assert set(gateway_volume_arns(GATEWAY_ARN, settings)) == {VOLUME_ARN, OTHER_VOLUME_ARN}
    called.take()

    granted = policy_actions(policy("provider"))
    assert called.actions - granted == set(), "called without the policy granting it"
    assert granted - called.actions == set(), "granted but never called: not least privilege"


# --- what the policy refuses -------------------------------------------------------------------


def made_by_hand(emulator: Emulator, tags: dict[str, str]) -> str:
    """A snapshot someone made outside the provider (other credentials, no provider tags)."""
    sg = boto3.client(
        "storagegateway",
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    )
    answer = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="made by hand",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    emulator.clear_calls()
    return str(answer["SnapshotId"]).lower()


def test_adopting_a_snapshot_without_the_owner_tag_needs_the_adopt_policy(
    emulator: Emulator, ec2: Ec2View, plugin: PluginProcess
) -> None:
    under(emulator, "provider")
    engine = Engine(plugin, StorageGatewaySnapshotProvider())
    foreign = made_by_hand(emulator, {"made": "by-hand"})
    inputs = {
        "volume_arn": VOLUME_ARN,
        "adopt_snapshot_id": foreign,
        "tags": {"team": "y"},
        "stack_resource": f"{STACK}/kept",
    }
    with pytest.raises(PluginError) as refused:
        engine.up("kept", inputs)
    assert refused.value.message.endswith(
        f"updating tags of EBS snapshot {foreign}: AWS denied ec2:DeleteTags to the "
        "credentials in use (UnauthorizedOperation): add ec2:DeleteTags to their IAM policy "
        "(sg-snapshot-provider's iam/provider.json and docs/iam.md say what each command needs)"
    )
    assert ec2.tags(foreign) == {"made": "by-hand"}  # nothing written

    emulator.set_iam_policy(policy("provider"), policy("provider-adopt"), access_key=PROVIDER_KEY)
    assert engine.up("kept", inputs).id == foreign
    assert ec2.tags(foreign) == {"team": "y"}
    # Adopted, it carries the owner tag: the provider's own policy deletes it.
    emulator.set_iam_policy(policy("provider"), access_key=PROVIDER_KEY)
    engine.destroy("kept")
    assert foreign not in ec2.snapshot_ids()
    assert emulator.iam_denials() == []


@pytest.mark.parametrize(
    ("action", "operation"),
    [
        ("ec2:DeleteSnapshot", "deleting EBS snapshot"),
        ("storagegateway:CreateSnapshot", "creating Storage Gateway snapshot of volume"),
    ],
)
def test_a_missing_permission_fails_in_one_sentence_naming_it(
    emulator: Emulator, ec2: Ec2View, plugin: PluginProcess, action: str, operation: str
) -> None:
    under(emulator, "provider")
    engine = Engine(plugin, StorageGatewaySnapshotProvider())
    inputs = {"volume_arn": VOLUME_ARN, "description": "d", "stack_resource": f"{STACK}/s"}
    if action == "ec2:DeleteSnapshot":
        engine.up("s", inputs)
    emulator.set_iam_policy(without(policy("provider"), action), access_key=PROVIDER_KEY)
    with pytest.raises(PluginError) as refused:
        engine.up("s", inputs) if action.startswith("storagegateway") else engine.destroy("s")
    message = refused.value.message
    assert f"{operation} " in message
    assert f": AWS denied {action} to the credentials in use (" in message
    assert f"add {action} to their IAM policy" in message
    assert ". " not in message.partition(": ")[2]  # one sentence
    assert [d["action"] for d in emulator.iam_denials()] == [action]
    # Nothing lost, nothing leaked: the snapshot in state is still there, or none was made.
    assert len(ec2.snapshot_ids()) == (1 if action == "ec2:DeleteSnapshot" else 0)
