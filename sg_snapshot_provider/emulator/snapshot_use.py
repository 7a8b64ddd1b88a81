"""Using a snapshot: sharing it (ModifySnapshotAttribute, DescribeSnapshotAttribute) and
restoring it (CreateVolume with ``SnapshotId``), as EC2 answers them, in front of moto.

moto serves all three but is laxer than EC2: it shares with any text as an account, shares a
snapshot encrypted with the default EBS key, takes a zone of another region (or none) and a
size smaller than the snapshot. This layer refuses those first, so a refused call changes
nothing. Real behaviour reproduced, and from where:

* ``createVolumePermission`` is the only attribute ModifySnapshotAttribute changes (botocore's
  ``SnapshotAttributeName`` also lists ``productCodes``, which is read-only); ``OperationType``
  is ``add`` or ``remove``; a ``UserId`` is a 12-digit account ID, another value is
  ``InvalidUserID.Malformed``; the only group is ``all``.
* A snapshot encrypted with the default EBS key (``alias/aws/ebs``) cannot be shared:
  ``OperationNotPermitted: Encrypted snapshots with EBS default key cannot be shared`` (as
  EC2 answered packer, hashicorp/packer#7499); an encrypted snapshot cannot be made public.
* A new volume is ``creating`` (in CreateVolume's answer too) for ``CREATING_SECONDS``, then
  ``available``, as EC2's volume lifecycle goes; moto makes it ``available`` at once.
* An encrypted snapshot is described with its volume's ``KmsKeyId`` (moto leaves it out).
* CreateVolume needs ``AvailabilityZone`` or ``AvailabilityZoneId`` (botocore marks neither
  required; EC2 wants one): ``MissingParameter``; a zone that is not one of the region's is
  ``InvalidZone.NotFound``; ``Size`` smaller than the snapshot is ``InvalidParameterValue``
  ("Volume of size 1 is smaller than snapshot 'snap-…', expect size >= 8"). The snapshot must
  be well formed, exist, be visible and be ``completed`` (a stricter rule than moto's, which
  this emulator keeps because the provider only ever restores completed snapshots).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from moto.ec2.models.elastic_block_store import Volume
from moto.kms.models import kms_backends

from .exceptions import Ec2Error, InvalidParameterValue, MissingParameter
from .responses import Answer

if TYPE_CHECKING:
    from .ec2 import Ec2Layer, Ec2Request, RunMoto

ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
DEFAULT_EBS_KEY_ALIAS: Final = "alias/aws/ebs"
ATTRIBUTE: Final = "createVolumePermission"
#: How long a new volume stays ``creating``: EC2 answers CreateVolume with ``creating`` and
#: makes the volume ``available`` some time later (moto makes it ``available`` at once, which
#: would never exercise a waiter).
CREATING_SECONDS: Final = 0.3
_CREATED_VOLUME: Final = re.compile(rb"<volumeId>(vol-[0-9a-f]+)</volumeId>")


class InvalidUserIdMalformed(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidUserID.Malformed"


class OperationNotPermitted(Ec2Error):  # noqa: N818 (EC2's name)
    code = "OperationNotPermitted"


class InvalidZoneNotFound(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidZone.NotFound"


class IncorrectState(Ec2Error):  # noqa: N818 (EC2's name)
    code = "IncorrectState"


class CreatingVolume(Volume):  # type: ignore[misc]
    """moto's volume, ``creating`` until ``available_at`` (``time.monotonic``)."""

    available_at: float = 0.0

    @property
    def status(self) -> str:
        if time.monotonic() < self.available_at:
            return "creating"
        return str(super().status)


Handler = Callable[["Ec2Request", "RunMoto"], Answer]


def handlers(layer: Ec2Layer) -> dict[str, Handler]:
    """The actions this module answers, for ``Ec2Layer``'s table."""
    return {
        "ModifySnapshotAttribute": lambda r, run: modify_snapshot_attribute(layer, r, run),
        "DescribeSnapshotAttribute": lambda r, run: describe_snapshot_attribute(layer, r, run),
        "CreateVolume": lambda r, run: create_volume(layer, r, run),
    }


def inherit_key(request: Ec2Request, snapshot_id: str) -> None:
    """An encrypted snapshot is encrypted with its volume's key, and DescribeSnapshots says
    which (``KmsKeyId``); moto leaves it out."""
    snapshot = request.backend.snapshots.get(snapshot_id)
    volume = getattr(snapshot, "volume", None)
    if snapshot is not None and snapshot.encrypted and not getattr(snapshot, "kms_key_id", None):
        snapshot.kms_key_id = getattr(volume, "kms_key_id", None)


def _snapshot(layer: Ec2Layer, request: Ec2Request) -> Any:
    snapshot_id = request.params.get("SnapshotId")
    if not snapshot_id:
        raise MissingParameter("SnapshotId")
    return layer.visible_snapshot(request, snapshot_id)


def _attribute(request: Ec2Request) -> None:
    attribute = request.params.get("Attribute")
    if attribute is None:
        raise MissingParameter("Attribute")
    if attribute not in (ATTRIBUTE, "productCodes"):
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )


def describe_snapshot_attribute(layer: Ec2Layer, request: Ec2Request, run: RunMoto) -> Answer:
    _attribute(request)
    _snapshot(layer, request)
    return run(None)


def modify_snapshot_attribute(layer: Ec2Layer, request: Ec2Request, run: RunMoto) -> Answer:
    snapshot = _snapshot(layer, request)
    attribute = request.params.get("Attribute", ATTRIBUTE)
    if attribute != ATTRIBUTE:
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Only {ATTRIBUTE} can "
            "be modified."
        )
    operation = request.params.get("OperationType")
    if operation not in ("add", "remove"):
        raise InvalidParameterValue(
            f"Value ({operation}) for parameter operationType is invalid. Expected add or remove."
        )
    users = request.members("UserId")
    groups = request.members("UserGroup")
    for user in users:
        if not ACCOUNT_ID.fullmatch(user):
            raise InvalidUserIdMalformed(f"Invalid user id: '{user}'")
    for group in groups:
        if group != "all":
            raise InvalidParameterValue(f"Value ({group}) for parameter group is invalid.")
    if operation == "add" and snapshot.encrypted:
        if groups:
            raise OperationNotPermitted("Encrypted snapshots cannot be shared publicly")
        if _uses_default_key(request, snapshot):
            raise OperationNotPermitted("Encrypted snapshots with EBS default key cannot be shared")
    return run(None)


def _uses_default_key(request: Ec2Request, snapshot: Any) -> bool:
    key_id = getattr(snapshot, "kms_key_id", None) or getattr(
        getattr(snapshot, "volume", None), "kms_key_id", None
    )
    if not key_id:
        return True  # encrypted without a key of its own: EBS used its default key
    kms = kms_backends[request.account_id][request.region]
    if not kms.alias_exists(DEFAULT_EBS_KEY_ALIAS):
        return False
    default = kms.describe_key(DEFAULT_EBS_KEY_ALIAS)
    return str(key_id) in (default.arn, default.id)


def create_volume(layer: Ec2Layer, request: Ec2Request, run: RunMoto) -> Answer:
    zone = request.params.get("AvailabilityZone")
    zone_id = request.params.get("AvailabilityZoneId")
    if zone is None and zone_id is None:
        raise MissingParameter("AvailabilityZone")
    zones = request.backend.describe_availability_zones()
    names = {z.name for z in zones} if zone is not None else {z.zone_id for z in zones}
    if (zone if zone is not None else zone_id) not in names:
        raise InvalidZoneNotFound(
            f"The zone '{zone or zone_id}' does not exist in region {request.region}."
        )
    snapshot_id = request.params.get("SnapshotId")
    size = request.params.get("Size")
    if snapshot_id:
        snapshot = layer.visible_snapshot(request, snapshot_id)
        if snapshot.status != "completed":
            raise IncorrectState(f"Snapshot '{snapshot_id}' is not completed ({snapshot.status}).")
        minimum = int(snapshot.volume.size)
        if size is not None and int(size) < minimum:
            raise InvalidParameterValue(
                f"Volume of size {size} is smaller than snapshot '{snapshot_id}', expect size "
                f">= {minimum}"
            )
    elif size is None:
        raise MissingParameter("Size")
    answer = run(None)
    match = _CREATED_VOLUME.search(answer.body) if answer.status == 200 else None
    if match is None:
        return answer
    volume = request.backend.volumes[match[1].decode()]
    volume.__class__ = CreatingVolume
    volume.available_at = time.monotonic() + CREATING_SECONDS
    body = answer.body.replace(b"<status>available</status>", b"<status>creating</status>", 1)
    return Answer(answer.status, answer.headers, body)
