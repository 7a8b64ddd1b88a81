"""Policy mode: each AWS request checked against IAM policies before it runs, as IAM would.

``IamGate`` holds the policies (none: every request runs, as without policy mode) and, when
they are set for one access key, checks only the requests signed with it, so that a test's
own out-of-band calls (other credentials) stay unrestricted, as an administrator's would.

What a request asks, in IAM's terms (the Service Authorization Reference's tables for EC2 and
Storage Gateway):

* EC2 actions on snapshots (``DeleteSnapshot``, ``CreateTags``/``DeleteTags`` on ``snap-…``,
  ``ModifySnapshotAttribute``, ``ModifySnapshotTier``, ``LockSnapshot``…) are asked once per
  snapshot, on ``arn:aws:ec2:REGION::snapshot/ID``, with ``aws:ResourceTag/KEY`` and
  ``ec2:ResourceTag/KEY`` read from the snapshot's current tags in moto's backend, and the
  request's tags as ``aws:RequestTag/KEY`` and ``aws:TagKeys``. ``CreateVolume`` is asked on
  ``volume/*`` (with its ``TagSpecification`` tags), on the snapshot it restores (with that
  snapshot's tags) and, when it tags the volume, as ``ec2:CreateTags`` with
  ``ec2:CreateAction``; ``DeleteVolume`` on the volume with its tags. Other EC2 actions
  (``DescribeSnapshots`` has no resource-level permission) are asked on ``*``.
* Storage Gateway actions are asked on the volume ARN of the request (on each of its
  ``VolumeARNs``, as DescribeCachediSCSIVolumes), else its gateway ARN, else ``*``, with the
  request's tags as ``aws:RequestTag/KEY`` and ``aws:TagKeys``.
* ``sts:GetCallerIdentity`` is always allowed: AWS answers it whatever the policies say.

A refusal is answered as each service answers it: EC2 ``UnauthorizedOperation`` (403, XML,
"You are not authorized to perform this operation." followed by IAM's reason), Storage
Gateway ``AccessDeniedException`` (400, JSON), any other service ``AccessDenied`` (403, XML).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

from moto.ec2.models import ec2_backends

from .ec2 import Ec2Request
from .exceptions import ControlError
from .policy import Decision, Policy, PolicyError, RequestContext, decide_all
from .responses import CONTENT_TYPE, Answer

#: Actions AWS authorizes whatever the policies say.
ALWAYS_ALLOWED: Final = frozenset({"sts:GetCallerIdentity"})
#: EC2 actions whose ``SnapshotId`` parameter names the snapshot the action is on.
_SNAPSHOT_ACTIONS: Final = frozenset(
    {
        "DeleteSnapshot",
        "ModifySnapshotAttribute",
        "ResetSnapshotAttribute",
        "DescribeSnapshotAttribute",
        "ModifySnapshotTier",
        "RestoreSnapshotTier",
        "LockSnapshot",
        "UnlockSnapshot",
    }
)
_TAG_ACTIONS: Final = frozenset({"CreateTags", "DeleteTags"})
_PRINCIPAL: Final = "user/emulator-policy-mode"
EC2_DENIED_MESSAGE: Final = "You are not authorized to perform this operation."


@dataclass(frozen=True)
class Denial:
    """One request the policies refused: what, on what, and why (IAM's two reasons)."""

    action: str
    resource: str
    reason: str


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def snapshot_arn(region: str, snapshot_id: str) -> str:
    """EC2's snapshot ARN: no account in it."""
    return f"arn:{_partition(region)}:ec2:{region}::snapshot/{snapshot_id}"


def _tag_keys(tags: Mapping[str, str], prefix: str) -> dict[str, list[str]]:
    return {f"{prefix}{key}": [value] for key, value in tags.items()}


def _request_tag_keys(tags: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"aws:RequestTag/" + key: [value] for key, value in tags}
    if tags:
        keys["aws:TagKeys"] = [key for key, _ in tags]
    return keys


def volume_arn(region: str, account_id: str, volume_id: str) -> str:
    return f"arn:{_partition(region)}:ec2:{region}:{account_id}:volume/{volume_id}"


def _resource_tag_keys(backend: Any, resource_id: str) -> dict[str, list[str]]:
    tags = dict(backend.tags.get(resource_id, {}))
    return {**_tag_keys(tags, "aws:ResourceTag/"), **_tag_keys(tags, "ec2:ResourceTag/")}


def _create_volume_contexts(request: Ec2Request) -> list[RequestContext]:
    """CreateVolume asks for the new volume (``volume/*``: its ID is not known yet) with the
    tags of its ``TagSpecification`` as request tags, for the snapshot it is made from (with
    that snapshot's tags), and, when it tags the volume, ``ec2:CreateTags`` on the volume with
    ``ec2:CreateAction`` = ``CreateVolume`` (EC2's tag-on-create authorization)."""
    tags = [
        (fields.get(f"Tag.{n}.Key", ""), fields.get(f"Tag.{n}.Value", ""))
        for fields in request.structures("TagSpecification")
        for n in range(1, 51)
        if f"Tag.{n}.Key" in fields
    ]
    volume = volume_arn(request.region, request.account_id, "*")
    contexts = [RequestContext("ec2:CreateVolume", volume, _request_tag_keys(tags))]
    snapshot_id = request.params.get("SnapshotId")
    if snapshot_id:
        keys = _resource_tag_keys(request.backend, snapshot_id)
        arn = snapshot_arn(request.region, snapshot_id)
        contexts.append(RequestContext("ec2:CreateVolume", arn, keys))
    if tags:
        keys = {**_request_tag_keys(tags), "ec2:CreateAction": ["CreateVolume"]}
        contexts.append(RequestContext("ec2:CreateTags", volume, keys))
    return contexts


def ec2_contexts(request: Ec2Request) -> list[RequestContext]:
    action = f"ec2:{request.action}"
    if request.action == "CreateVolume":
        return _create_volume_contexts(request)
    if request.action == "DeleteVolume" and request.params.get("VolumeId"):
        volume_id = request.params["VolumeId"]
        arn = volume_arn(request.region, request.account_id, volume_id)
        return [RequestContext(action, arn, _resource_tag_keys(request.backend, volume_id))]
    request_tags = [(tag.get("Key", ""), tag.get("Value", "")) for tag in request.structures("Tag")]
    if request.action in _TAG_ACTIONS:
        targets = request.members("ResourceId")
    elif request.action in _SNAPSHOT_ACTIONS and request.params.get("SnapshotId"):
        targets = [request.params["SnapshotId"]]
    else:
        return [RequestContext(action, "*", _request_tag_keys(request_tags))]
    backend = ec2_backends[request.account_id][request.region]
    contexts = []
    for target in targets:
        if not target.lower().startswith("snap-"):
            contexts.append(RequestContext(action, "*", _request_tag_keys(request_tags)))
            continue
        tags = dict(backend.tags.get(target, {}))
        keys = {
            **_tag_keys(tags, "aws:ResourceTag/"),
            **_tag_keys(tags, "ec2:ResourceTag/"),
            **_request_tag_keys(request_tags),
        }
        contexts.append(RequestContext(action, snapshot_arn(request.region, target), keys))
    return contexts


def storagegateway_contexts(operation: str, body: bytes) -> list[RequestContext]:
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    volumes = payload.get("VolumeARNs")
    if isinstance(volumes, list) and volumes:  # DescribeCachediSCSIVolumes…: each volume
        action = f"storagegateway:{operation}"
        return [RequestContext(action, str(volume)) for volume in volumes]
    resource = payload.get("VolumeARN") or payload.get("GatewayARN") or "*"
    raw_tags = payload.get("Tags")
    raw_tags = raw_tags if isinstance(raw_tags, list) else []
    tags = [
        (str(tag.get("Key", "")), str(tag.get("Value", "")))
        for tag in raw_tags
        if isinstance(tag, dict)
    ]
    return [RequestContext(f"storagegateway:{operation}", str(resource), _request_tag_keys(tags))]


class IamGate:
    """The policies requests are checked against, and the refusals so far."""

    def __init__(
        self, documents: Sequence[Mapping[str, Any]] = (), access_key: str | None = None
    ) -> None:
        self._initial = (list(documents), access_key)
        self.policies: list[Policy] = []
        self.access_key: str | None = None
        self.denials: list[Denial] = []
        self.set(*self._initial)

    def set(self, documents: Sequence[Mapping[str, Any]], access_key: str | None) -> None:
        """Check requests against ``documents`` together (none: policy mode off); only those
        signed with ``access_key`` when it is given."""
        try:
            policies = [
                Policy.parse(document, f"policy {index + 1}")
                for index, document in enumerate(documents)
            ]
        except PolicyError as error:
            raise ControlError(str(error)) from error
        self.policies, self.access_key = policies, access_key
        self.denials.clear()

    def reset(self) -> None:
        self.set(*self._initial)

    def describe(self) -> dict[str, Any]:
        return {
            "enabled": bool(self.policies),
            "access_key": self.access_key,
            "denials": [asdict(denial) for denial in self.denials],
        }

    def answer_if_refused(
        self,
        service: str,
        operation: str,
        access_key: str,
        where: tuple[str, str],
        request: tuple[bytes, str],
    ) -> Answer | None:
        """AWS's refusal when the policies refuse this request, else None (allowed, or not
        checked). ``where``: (account, region); ``request``: (body, query string). Call with
        the emulator's lock held: it reads moto's backend."""
        if not self.policies or (self.access_key is not None and access_key != self.access_key):
            return None
        if f"{service}:{operation}" in ALWAYS_ALLOWED:
            return None
        account_id, region = where
        body, query_string = request
        if service == "ec2":
            contexts = ec2_contexts(Ec2Request(body, query_string, account_id, region))
        elif service == "storagegateway":
            contexts = storagegateway_contexts(operation, body)
        else:
            contexts = [RequestContext(f"{service}:{operation}")]
        denial = self.refusal(contexts)
        return None if denial is None else denied_answer(service, denial, account_id)

    def refusal(self, contexts: list[RequestContext]) -> Denial | None:
        """Why the policies refuse these questions, or None when they allow each one."""
        decision, refused = decide_all(self.policies, contexts)
        if refused is None:
            return None
        reason = (
            "with an explicit deny in an identity-based policy"
            if decision is Decision.EXPLICIT_DENY
            else f"because no identity-based policy allows the {refused.action} action"
        )
        denial = Denial(refused.action, refused.resource, reason)
        self.denials.append(denial)
        return denial


def _iam_sentence(denial: Denial, account_id: str) -> str:
    return (
        f"User: arn:aws:iam::{account_id}:{_PRINCIPAL} is not authorized to perform: "
        f"{denial.action} on resource: {denial.resource} {denial.reason}"
    )


def denied_answer(service: str, denial: Denial, account_id: str) -> Answer:
    """AWS's answer to a refused request of ``service``."""
    sentence = _iam_sentence(denial, account_id)
    if service == "storagegateway":
        body = json.dumps({"__type": "AccessDeniedException", "message": sentence}).encode()
        return Answer(
            400,
            [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", str(uuid.uuid4()))],
            body,
        )
    if service == "ec2":
        message = f"{EC2_DENIED_MESSAGE} {sentence}"
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
        )
        return Answer(403, [("Content-Type", "text/xml")], xml.encode())
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>{escape(sentence)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Answer(403, [("Content-Type", "text/xml")], xml.encode())


def parse_access_key(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[\w+=,.@-]{1,128}", value):
        raise ControlError("access_key must be an access key ID (or null for every request)")
    return value
