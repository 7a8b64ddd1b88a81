"""Recycle Bin (``rbin``), which moto does not serve: the calls a retention rule's life makes
(pulumi-aws's ``aws.rbin.Rule``, i.e. terraform-provider-aws's ``aws_rbin_rule``: CreateRule,
GetRule until ``available``, UpdateRule, DeleteRule then GetRule until not found, and
ListTagsForResource/TagResource/UntagResource for its tags), plus ListRules.

Real behaviour reproduced, and from where:

* Routing by botocore's ``rbin`` model (REST-JSON): each operation's method and request URI
  (``POST /rules``, ``GET|PATCH|DELETE /rules/{identifier}``, ``GET|POST|DELETE
  /tags/{resourceArn}``, ``POST /list-rules``); the URI labels and the ``tagKeys`` query string
  are members like the body's.
* Every request is validated against its input shape (types, required members, lengths,
  ranges, patterns, enums: ``RetentionPeriodValue`` 1 to 3650, ``ResourceType`` one of
  ``EBS_SNAPSHOT``, ``EC2_IMAGE``, ``EBS_VOLUME``…): ``ValidationException`` (HTTP 400).
* A rule ID is 11 letters and digits (``RuleIdentifier``'s pattern), its ARN
  ``arn:aws:rbin:{region}:{account}:rule/{id}``; an unknown ID or ARN is
  ``ResourceNotFoundException`` (HTTP 404). A rule is ``available`` at once and ``unlocked``;
  a rule's ``ResourceType`` cannot change (UpdateRule's documentation: "You can't update a
  retention rule's resource type after creation").
* Answers carry the members of each operation's output shape, with CreateRule's HTTP 201,
  DeleteRule's 204 and TagResource's 201 as the model says.

Not served: LockRule, UnlockRule (answered ``ValidationException`` naming them), and what a
rule does (retaining deleted snapshots: DeleteSnapshot still deletes for good here).
"""

from __future__ import annotations

import json
import random
import re
import string
import uuid
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel

from .exceptions import StorageGatewayError, ValidationException
from .responses import Answer
from .validation import service_model, validate_input

SERVICE: Final = "rbin"
_NOT_SERVED: Final = ("LockRule", "UnlockRule")


class ResourceNotFoundException(StorageGatewayError):  # noqa: N818 (AWS's name)
    type_name = "ResourceNotFoundException"
    status = 404


@dataclass
class Rule:
    identifier: str
    arn: str
    body: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)

    def described(self) -> dict[str, Any]:
        keys = ("RetentionPeriod", "Description", "ResourceType", "ResourceTags")
        answer = {k: self.body[k] for k in keys if k in self.body}
        answer.update(
            Identifier=self.identifier, RuleArn=self.arn, Status="available", LockState="unlocked"
        )
        if "ExcludeResourceTags" in self.body:
            answer["ExcludeResourceTags"] = self.body["ExcludeResourceTags"]
        answer.setdefault("Description", "")
        return answer


def _route(model_uri: str) -> re.Pattern[str]:
    """A request URI of the model as a pattern. The WSGI path is decoded already, so an ARN
    label spans its slashes."""
    path = model_uri.split("?")[0]

    def label(match: re.Match[str]) -> str:
        name = match[1]
        return f"(?P<{name}>.+)" if name.lower().endswith("arn") else f"(?P<{name}>[^/]+)"

    return re.compile(re.sub(r"\{(\w+)\+?\}", label, path) + "$")


class RecycleBin:
    """The rules of every account and region, by ARN."""

    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}

    def reset(self) -> None:
        self.rules.clear()

    def answer(
        self, method: str, path: str, query: str, body: bytes, account_id: str, region: str
    ) -> Answer:
        try:
            operation, params = self._parse(method, path, query, body)
            if operation.name in _NOT_SERVED:
                raise ValidationException([f"{operation.name} is not served by this emulator"])
            validate_input(operation, params)
            status, payload = self._run(operation.name, params, account_id, region)
        except StorageGatewayError as error:
            return _json(error.http_status, {"message": error.message}, error.type_name)
        return _json(status, payload)

    # -- parsing -------------------------------------------------------------------------

    def _parse(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[OperationModel, dict[str, Any]]:
        model = service_model(SERVICE)
        for name in model.operation_names:
            operation = model.operation_model(name)
            if operation.http["method"] != method:
                continue
            match = _route(operation.http["requestUri"]).match(path)
            if match is None:
                continue
            params = _body(body)
            shape = operation.input_shape
            for member_name, member in (shape.members if shape else {}).items():
                location, located = member.serialization.get("location"), member.serialization
                if location == "uri":
                    params[member_name] = unquote(match[located["name"]])
                elif location == "querystring":
                    values = parse_qs(query).get(located["name"])
                    if values is not None:
                        params[member_name] = values
            return operation, params
        raise ResourceNotFoundException(f"No operation at {method} {path}")

    # -- operations ----------------------------------------------------------------------

    def _run(
        self, name: str, params: dict[str, Any], account_id: str, region: str
    ) -> tuple[int, dict[str, Any]]:
        if name == "CreateRule":
            identifier = "".join(random.choices(string.ascii_letters + string.digits, k=11))
            arn = f"arn:aws:{SERVICE}:{region}:{account_id}:rule/{identifier}"
            tags = {t["Key"]: t["Value"] for t in params.pop("Tags", [])}
            rule = Rule(identifier, arn, params, tags)
            self.rules[arn] = rule
            return 201, {**rule.described(), "Tags": _tag_list(tags)}
        if name == "ListRules":
            found = [
                r.described()
                for r in self._scope(account_id, region)
                if r.body["ResourceType"] == params["ResourceType"]
            ]
            return 200, {"Rules": found}
        if name in ("ListTagsForResource", "TagResource", "UntagResource"):
            return self._tags(name, params, account_id, region)
        rule = self._rule(params["Identifier"], account_id, region)
        if name == "GetRule":
            return 200, rule.described()
        if name == "DeleteRule":
            del self.rules[rule.arn]
            return 204, {}
        if name == "UpdateRule":
            return 200, self._update(rule, params)
        raise ValidationException([f"{name} is not served by this emulator"])

    def _update(self, rule: Rule, params: dict[str, Any]) -> dict[str, Any]:
        resource_type = params.get("ResourceType")
        if resource_type is not None and resource_type != rule.body["ResourceType"]:
            raise ValidationException(
                ["You can't update a retention rule's resource type after creation"]
            )
        for key in ("RetentionPeriod", "Description", "ResourceTags", "ExcludeResourceTags"):
            if key in params:
                rule.body[key] = params[key]
        answer = rule.described()
        answer.pop("LockConfiguration", None)
        return answer

    def _tags(
        self, name: str, params: dict[str, Any], account_id: str, region: str
    ) -> tuple[int, dict[str, Any]]:
        rule = self.rules.get(params["ResourceArn"])
        if rule is None or rule not in self._scope(account_id, region):
            raise ResourceNotFoundException(f"Resource {params['ResourceArn']} not found")
        if name == "TagResource":
            rule.tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
            return 201, {}
        if name == "UntagResource":
            for key in params["TagKeys"]:
                rule.tags.pop(key, None)
            return 204, {}
        return 200, {"Tags": _tag_list(rule.tags)}

    def _scope(self, account_id: str, region: str) -> list[Rule]:
        prefix = f"arn:aws:{SERVICE}:{region}:{account_id}:rule/"
        return [rule for arn, rule in self.rules.items() if arn.startswith(prefix)]

    def _rule(self, identifier: str, account_id: str, region: str) -> Rule:
        for rule in self._scope(account_id, region):
            if identifier in (rule.identifier, rule.arn):
                return rule
        raise ResourceNotFoundException(f"Rule {identifier} not found")


def _body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ValidationException([f"the body is not JSON: {error}"]) from error
    if not isinstance(payload, dict):
        raise ValidationException(["the body must be a JSON object"])
    return payload


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _json(status: int, payload: dict[str, Any], error_type: str | None = None) -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    body = b"" if status == 204 else json.dumps(payload).encode()
    return Answer(status, headers, body)
