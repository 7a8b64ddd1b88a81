"""The resource class as a Pulumi program sees it (with Pulumi's mocks; no engine, no AWS)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from sg_snapshot_provider import StorageGatewaySnapshot
from sg_snapshot_provider.inputs import OUTPUT_KEYS

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return "snap-0123456789abcdef0", {**args.inputs, "snapshot_id": "snap-0123456789abcdef0"}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks() -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    return mocks


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_type_token_inputs_and_outputs(mocks: Mocks) -> Any:
    snap = StorageGatewaySnapshot(
        "nightly", volume_arn=VOLUME_ARN, description="nightly", tags={"team": "storage"}
    )

    def check(values: list[Any]) -> None:
        snapshot_id, tags = values
        assert snapshot_id == "snap-0123456789abcdef0"
        assert tags == {"team": "storage"}
        (args,) = mocks.registered
        assert args.typ == "pulumi-python:dynamic/storagegateway:Snapshot"
        assert args.inputs["volume_arn"] == VOLUME_ARN
        assert args.inputs["wait_for_completion"] is False
        assert args.inputs["completion_timeout_seconds"] == 3600
        assert len(args.inputs["__provider"]) < 1024
        for key in OUTPUT_KEYS:
            assert isinstance(getattr(snap, key), pulumi.Output), key

    return pulumi.Output.all(snap.snapshot_id, snap.tags).apply(check)


def test_a_secret_adopt_snapshot_id_is_refused_before_the_provider(mocks: Mocks) -> None:
    """The adopted snapshot's ID becomes the resource ID, which Pulumi stores in plain text:
    the program fails, and the provider is never asked."""

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        snap = StorageGatewaySnapshot(
            "adopted",
            volume_arn=VOLUME_ARN,
            adopt_snapshot_id=pulumi.Output.secret("snap-0123456789abcdef0"),
        )
        return snap.urn

    with pytest.raises(ValueError, match="adopt_snapshot_id is a secret") as raised:
        program()
    assert "snap-0123456789abcdef0" not in str(raised.value)
    assert mocks.registered == []


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_plain_adopt_snapshot_id_is_sent(mocks: Mocks) -> Any:
    snap = StorageGatewaySnapshot(
        "adopted",
        volume_arn=VOLUME_ARN,
        adopt_snapshot_id=pulumi.Output.from_input("snap-0123456789abcdef0"),
    )

    def check(_: Any) -> None:
        (args,) = mocks.registered
        assert args.inputs["adopt_snapshot_id"] == "snap-0123456789abcdef0"

    return snap.snapshot_id.apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_tags_all_carries_the_secrecy_of_tags(mocks: Mocks) -> Any:
    """tags_all is computed by check from tags: the program sends tags in its place, so that
    the engine marks it secret whenever tags hold a secret."""
    tags = {"team": pulumi.Output.secret("hidden")}
    snap = StorageGatewaySnapshot("nightly", volume_arn=VOLUME_ARN, description="d", tags=tags)

    def check(_: Any) -> None:
        (args,) = mocks.registered
        carried = args.inputs["tags_all"]
        assert rpc.is_rpc_secret(carried)
        assert rpc.unwrap_rpc_secret(carried) == {"team": "hidden"}

    return snap.snapshot_id.apply(check)
