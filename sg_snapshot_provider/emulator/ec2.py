"""EC2 as AWS answers it: our layer in front of moto for the snapshot and tag actions.

moto serves every EC2 action, but it is laxer than EC2 where the provider (and any Storage
Gateway user) lives: it accepts reserved and over-long tag keys, answers ``NotFound`` with an
empty message and for malformed IDs, lets an AMI's snapshot be deleted, ignores ``DeleteTags``
without tags, and answers 500 for a mistyped parameter. This layer checks a request first and
answers EC2's own error (XML, HTTP 400) before moto runs, so a refused call changes nothing.

Real behaviour reproduced, and from where:

* Query parameters of every EC2 action are type-checked against botocore's ``ec2`` model
  (integers, booleans, numbers): a mistyped one is ``InvalidParameterValue``, never a 500; an
  action the model does not define is ``InvalidAction`` ("The action X is not valid for this
  web service.", EC2's common client errors).
* Snapshot IDs are ``snap-`` and 8 or 17 lower-case hex digits (EC2's ID formats, the 17-digit
  "longer ID" format included). Another ID where a snapshot ID is expected (DescribeSnapshots
  ``SnapshotId.N``, DeleteSnapshot, RegisterImage block device mappings, a ``snap-`` resource of
  CreateTags/DeleteTags) is ``InvalidSnapshotID.Malformed``: ``Invalid id: "snap-xyz"
  (expecting "snap-...")``; a well-formed one that does not exist (or is not visible yet, see
  ``visibility``) is ``InvalidSnapshot.NotFound``: ``The snapshot 'snap-…' does not exist.``
  DescribeSnapshots fails as a whole when any listed ID is missing, as EC2 does.
* DescribeSnapshots: ``MaxResults`` is 5 to 1000 and cannot be combined with ``SnapshotId.N``;
  a filter holds at most 200 values (``FilterLimitExceeded``), as the EC2 API reference states.
* CreateTags (botocore's ``Tag`` documentation: "Tag keys are case-sensitive and accept a
  maximum of 127 Unicode characters. May not begin with aws:"; values "a maximum of 256"):
  empty keys, keys over 127 characters, values over 256 and keys starting with ``aws:`` in any
  case are ``InvalidParameterValue``; the reserved-prefix message is EC2's own: ``Value (
  aws:x ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal
  use`` (as seen in cloud-custodian issue #5975). A tag without a value gets the empty value.
  DeleteTags refuses ``aws:`` keys alike; DeleteTags without ``Tag.N`` deletes every user tag of
  the resources ("If you omit this parameter, we delete all user-defined tags for the specified
  resources. We do not delete AWS-generated tags").
* DescribeLockedSnapshots: moto does not serve it, nor LockSnapshot, so no snapshot can be
  locked here: every answer is an empty ``snapshotSet`` (listed IDs must exist).
* DeleteSnapshot of a snapshot a registered AMI uses (RegisterImage ``BlockDeviceMapping.N.Ebs.
  SnapshotId``) is ``InvalidSnapshot.InUse``: ``The snapshot snap-… is currently in use by
  ami-…``, until the AMI is deregistered. (moto ignores RegisterImage's mappings and makes a
  snapshot of its own; we drop that one and point the AMI at the snapshot it names.)
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import parse_qs

from botocore.model import ListShape, Shape, StructureShape
from moto.ec2.models import ec2_backends

from . import snapshot_use
from .exceptions import (
    FilterLimitExceeded,
    InvalidAction,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidSnapshotIdMalformed,
    InvalidSnapshotInUse,
    InvalidSnapshotNotFound,
    MissingParameter,
)
from .locks import LOCK_ACTIONS, Clock, SnapshotLocks, lock_action
from .responses import Answer
from .tiers import TIER_ACTIONS, tier_action
from .validation import service_model
from .visibility import VisibilityLag

SNAPSHOT_ID: Final = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
TAG_KEY_MAX: Final = 127
TAG_VALUE_MAX: Final = 256
RESERVED_TAG_PREFIX: Final = "aws:"
DESCRIBE_MAX_RESULTS: Final = range(5, 1001)
FILTER_VALUES_MAX: Final = 200
_CREATED_SNAPSHOT = re.compile(rb"<snapshotId>(snap-[0-9a-f]+)</snapshotId>")
_REGISTERED_IMAGE = re.compile(rb"<imageId>(ami-[0-9a-f]+)</imageId>")
_PROTOCOL_PARAMETERS = frozenset({"Action", "Version"})

#: Runs the request in moto: as it came, or with these parameters instead.
RunMoto = Callable[[dict[str, str] | None], Answer]


# --- the query protocol ---------------------------------------------------------------------


class Ec2Request:
    """An EC2 query request: its action, its flat parameters, and where it runs."""

    def __init__(self, body: bytes, query_string: str, account_id: str, region: str) -> None:
        self.params: dict[str, str] = {}
        for source in (query_string, body.decode("utf-8", "replace")):
            for key, values in parse_qs(source, keep_blank_values=True).items():
                self.params[key] = values[0]
        self.action = self.params.get("Action", "")
        self.account_id = account_id
        self.region = region

    @property
    def backend(self) -> Any:
        return ec2_backends[self.account_id][self.region]

    def members(self, prefix: str) -> list[str]:
        """``prefix.1``, ``prefix.2``… in index order."""
        found = re.compile(rf"{re.escape(prefix)}\.(\d+)")
        numbered = [
            (int(match[1]), value)
            for key, value in self.params.items()
            if (match := found.fullmatch(key)) is not None
        ]
        return [value for _, value in sorted(numbered)]

    def structures(self, prefix: str) -> list[dict[str, str]]:
        """``prefix.N.Field`` → one dict of fields per N, in index order (nested fields keep
        their dotted names: ``Ebs.SnapshotId``)."""
        found = re.compile(rf"{re.escape(prefix)}\.(\d+)\.(.+)")
        items: dict[int, dict[str, str]] = {}
        for key, value in self.params.items():
            match = found.fullmatch(key)
            if match is not None:
                items.setdefault(int(match[1]), {})[match[2]] = value
        return [items[index] for index in sorted(items)]


def _query_name(name: str, member: Shape) -> str:
    """The parameter name botocore's EC2 serializer uses for a member."""
    serialization = member.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    if "name" in serialization:
        located = str(serialization["name"])
        return located[:1].upper() + located[1:]
    return name


@functools.cache
def _input_shape(action: str) -> StructureShape | None:
    model = service_model("ec2")
    if action not in model.operation_names:
        raise InvalidAction(action)
    shape = model.operation_model(action).input_shape
    return shape if isinstance(shape, StructureShape) else None


def _scalar_shape(shape: StructureShape, key: str) -> Shape | None:
    """The scalar shape a query parameter fills (``Filter.1.Value.2`` → ``String``), or
    ``None`` when the model does not know the parameter."""
    current: Shape = shape
    tokens = key.split(".")
    index = 0
    while index < len(tokens):
        if isinstance(current, StructureShape):
            members = {_query_name(n, m): m for n, m in current.members.items()}
            member = members.get(tokens[index])
            if member is None:
                return None
            current, index = member, index + 1
        elif isinstance(current, ListShape):
            if not tokens[index].isdigit():
                return None
            current, index = current.member, index + 1
        else:
            return None
    return None if isinstance(current, StructureShape | ListShape) else current


def check_parameter_types(request: Ec2Request) -> None:
    """Every parameter the model knows must parse as its type, as EC2 requires."""
    shape = _input_shape(request.action)
    if shape is None:
        return
    for key, value in request.params.items():
        if key in _PROTOCOL_PARAMETERS:
            continue
        scalar = _scalar_shape(shape, key)
        if scalar is None:
            continue
        kind = scalar.type_name
        if kind in ("integer", "long") and not re.fullmatch(r"-?\d+", value):
            raise InvalidParameterValue(
                f"Value ({value}) for parameter {key} is invalid. Expected an integer."
            )
        if kind == "boolean" and value.lower() not in ("true", "false"):
            raise InvalidParameterValue(
                f"Value ({value}) for parameter {key} is invalid. Expected a boolean."
            )
        if kind in ("double", "float"):
            try:
                float(value)
            except ValueError:
                raise InvalidParameterValue(
                    f"Value ({value}) for parameter {key} is invalid. Expected a number."
                ) from None


# --- the rules ------------------------------------------------------------------------------


def is_snapshot_resource(resource_id: str) -> bool:
    """Whether a resource ID of CreateTags/DeleteTags claims to be a snapshot (``snap-``, any
    case): then it must be a well-formed one."""
    return resource_id.partition("-")[0].lower() == "snap"


def check_tag_key(key: str) -> None:
    if not key:
        raise InvalidParameterValue(
            "Value ( ) for parameter key is invalid. Tag keys must not be empty"
        )
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        raise InvalidParameterValue(
            f"Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are "
            "reserved for internal use"
        )
    if len(key) > TAG_KEY_MAX:
        raise InvalidParameterValue(
            f"Tag key exceeds the maximum length of {TAG_KEY_MAX} characters"
        )


class Ec2Layer:
    """EC2's rules for the actions it wraps; any other action goes straight to moto."""

    def __init__(self, visibility: VisibilityLag) -> None:
        self.visibility = visibility
        #: AMI ID → the snapshots its block device mappings use (RegisterImage).
        self.images: dict[str, tuple[str, ...]] = {}
        #: Snapshot locks, which moto does not serve (``locks``); their clock is the tests'.
        self.locks = SnapshotLocks(Clock())

    def reset(self) -> None:
        self.images.clear()
        self.locks.reset()

    def answer(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        """Raises ``Ec2Error`` for a request EC2 refuses; otherwise moto's answer."""
        check_parameter_types(request)
        handler = self._handlers().get(request.action)
        return run_moto(None) if handler is None else handler(request, run_moto)

    def _handlers(self) -> dict[str, Callable[[Ec2Request, RunMoto], Answer]]:
        return {
            "DescribeSnapshots": self.describe_snapshots,
            "DeleteSnapshot": self.delete_snapshot,
            "CreateTags": self.create_tags,
            "DeleteTags": self.delete_tags,
            "CreateSnapshot": self.snapshot_made,
            "CopySnapshot": self.snapshot_made,
            "RegisterImage": self.register_image,
            **dict.fromkeys(LOCK_ACTIONS, functools.partial(lock_action, self)),
            **dict.fromkeys(TIER_ACTIONS, functools.partial(tier_action, self)),
            **snapshot_use.handlers(self),  # sharing and restoring a snapshot
        }

    # lookups

    def visible_snapshot(self, request: Ec2Request, snapshot_id: str) -> Any:
        """The snapshot behind a well-formed, existing, visible ID, else EC2's error."""
        if not SNAPSHOT_ID.fullmatch(snapshot_id):
            raise InvalidSnapshotIdMalformed(snapshot_id)
        snapshot = request.backend.snapshots.get(snapshot_id)
        if snapshot is None or self.visibility.is_hidden(snapshot_id):
            raise InvalidSnapshotNotFound(snapshot_id)
        return snapshot

    def _image_using(self, request: Ec2Request, snapshot: Any) -> str | None:
        amis = request.backend.amis
        for image_id in [image_id for image_id in self.images if image_id not in amis]:
            del self.images[image_id]  # deregistered: its snapshots are free again
        for image_id, snapshot_ids in self.images.items():
            if snapshot.id in snapshot_ids:
                return image_id
        from_ami = getattr(snapshot, "from_ami", None)
        return str(from_ami) if from_ami and from_ami in amis else None

    @contextlib.contextmanager
    def _hiding(self, request: Ec2Request) -> Iterator[None]:
        """moto's backend without the snapshots not visible yet, for the length of a call."""
        snapshots = request.backend.snapshots
        hidden = {sid: snapshots.pop(sid) for sid in self.visibility.hidden() if sid in snapshots}
        try:
            yield
        finally:
            snapshots.update(hidden)

    # actions

    def describe_snapshots(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        snapshot_ids = request.members("SnapshotId")
        max_results = request.params.get("MaxResults")
        if max_results is not None:
            if snapshot_ids:
                raise InvalidParameterCombination(
                    "The parameter snapshotSet cannot be used with the parameter maxResults"
                )
            if int(max_results) not in DESCRIBE_MAX_RESULTS:
                lowest, highest = DESCRIBE_MAX_RESULTS[0], DESCRIBE_MAX_RESULTS[-1]
                raise InvalidParameterValue(
                    f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a "
                    f"value between {lowest} and {highest}."
                )
        filters = request.structures("Filter")
        for entry in filters:
            values = [v for k, v in entry.items() if k.startswith("Value.")]
            if len(values) > FILTER_VALUES_MAX:
                raise FilterLimitExceeded(
                    "The maximum number of filter values specified on a single call is "
                    f"{FILTER_VALUES_MAX}"
                )
        for snapshot_id in snapshot_ids:
            if not SNAPSHOT_ID.fullmatch(snapshot_id):
                raise InvalidSnapshotIdMalformed(snapshot_id)
        for snapshot_id in snapshot_ids:
            self.visible_snapshot(request, snapshot_id)
        if any(entry.get("Name") == "snapshot-id" for entry in filters):
            with self._hiding(request):
                return run_moto(None)
        return run_moto(None)

    def delete_snapshot(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        snapshot_id = request.params.get("SnapshotId")
        if not snapshot_id:
            raise MissingParameter("SnapshotId")
        snapshot = self.visible_snapshot(request, snapshot_id)
        image_id = self._image_using(request, snapshot)
        if image_id is not None:
            raise InvalidSnapshotInUse(snapshot_id, image_id)
        self.locks.refuse_delete(snapshot)
        return run_moto(None)

    def _tagged_resources(self, request: Ec2Request) -> list[str]:
        resources = request.members("ResourceId")
        for resource_id in resources:
            if is_snapshot_resource(resource_id) and not SNAPSHOT_ID.fullmatch(resource_id):
                raise InvalidSnapshotIdMalformed(resource_id)
        for resource_id in resources:
            if is_snapshot_resource(resource_id):
                self.visible_snapshot(request, resource_id)
        return resources

    def create_tags(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        tags = request.structures("Tag")
        for tag in tags:
            key = tag.get("Key", "")
            check_tag_key(key)
            if len(tag.get("Value", "")) > TAG_VALUE_MAX:
                raise InvalidParameterValue(
                    f"Tag value exceeds the maximum length of {TAG_VALUE_MAX} characters"
                )
        self._tagged_resources(request)
        params = dict(request.params)
        # "If you don't want the tag to have a value, specify the parameter with no value, and
        # we set the value to an empty string" (CreateTags); moto needs it spelled out.
        for key in [key for key in params if re.fullmatch(r"Tag\.\d+\.Key", key)]:
            params.setdefault(f"{key[: -len('Key')]}Value", "")
        return run_moto(params)

    def delete_tags(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        tags = request.structures("Tag")
        for tag in tags:
            check_tag_key(tag.get("Key", ""))
        resources = self._tagged_resources(request)
        answer = run_moto(None)
        if answer.status == 200 and not tags:
            backend = request.backend
            for resource_id in resources:
                user_keys = [
                    key
                    for key in backend.tags.get(resource_id, {})
                    if not key.lower().startswith(RESERVED_TAG_PREFIX)
                ]
                backend.delete_tag_keys([resource_id], user_keys)
        return answer

    def snapshot_made(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        """CreateSnapshot, CopySnapshot: moto makes it; the new snapshot gets the lag."""
        answer = run_moto(None)
        match = _CREATED_SNAPSHOT.search(answer.body) if answer.status == 200 else None
        if match is not None:
            self.visibility.created(match[1].decode())
            snapshot_use.inherit_key(request, match[1].decode())
        return answer

    def register_image(self, request: Ec2Request, run_moto: RunMoto) -> Answer:
        mappings = request.structures("BlockDeviceMapping")
        snapshot_ids = [m["Ebs.SnapshotId"] for m in mappings if "Ebs.SnapshotId" in m]
        for snapshot_id in snapshot_ids:
            if not SNAPSHOT_ID.fullmatch(snapshot_id):
                raise InvalidSnapshotIdMalformed(snapshot_id)
        snapshots = [self.visible_snapshot(request, snapshot_id) for snapshot_id in snapshot_ids]
        answer = run_moto(None)
        match = _REGISTERED_IMAGE.search(answer.body) if answer.status == 200 else None
        if match is not None and snapshots:
            image_id = match[1].decode()
            self.images[image_id] = tuple(snapshot_ids)
            image = request.backend.amis[image_id]
            request.backend.snapshots.pop(image.ebs_snapshot.id, None)
            image.ebs_snapshot = snapshots[0]
        return answer
