"""Recycle Bin, which moto lacks: the calls of a retention rule's life (pulumi-aws's
``aws.rbin.Rule`` makes them through terraform-provider-aws), checked against botocore's model."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REGION
from tests.emulator.conftest import NO_RETRIES, OTHER_ACCOUNT_ID, error_code, http_status

RULE: dict[str, Any] = {
    "ResourceType": "EBS_SNAPSHOT",
    "RetentionPeriod": {"RetentionPeriodValue": 14, "RetentionPeriodUnit": "DAYS"},
    "Description": "deleted snapshots stay 14 days",
    "ResourceTags": [{"ResourceTagKey": "backup", "ResourceTagValue": "nightly"}],
    "Tags": [{"Key": "team", "Value": "storage"}],
}


def rbin_client(emulator: Emulator, config: Config = NO_RETRIES, account: str | None = None) -> Any:
    client = boto3.client("rbin", region_name=REGION, endpoint_url=emulator.url, config=config)
    if account is not None:

        def add_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.*.*", add_account)
    return client


@pytest.fixture
def rbin(emulator: Emulator) -> Any:
    return rbin_client(emulator)


def test_a_rule_lives_and_dies_as_the_terraform_provider_drives_it(rbin: Any) -> None:
    created = rbin.create_rule(**RULE)
    identifier, arn = created["Identifier"], created["RuleArn"]
    assert len(identifier) == 11
    assert identifier.isalnum()
    assert arn == f"arn:aws:rbin:{REGION}:123456789012:rule/{identifier}"
    assert created["Status"] == "available"
    assert created["Tags"] == RULE["Tags"]

    got = rbin.get_rule(Identifier=identifier)
    assert got["RetentionPeriod"] == RULE["RetentionPeriod"]
    assert got["ResourceTags"] == RULE["ResourceTags"]
    assert got["LockState"] == "unlocked"

    longer = {"RetentionPeriodValue": 30, "RetentionPeriodUnit": "DAYS"}
    updated = rbin.update_rule(Identifier=identifier, RetentionPeriod=longer)
    assert updated["RetentionPeriod"] == longer
    assert rbin.get_rule(Identifier=identifier)["Description"] == RULE["Description"]

    rbin.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    rbin.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert rbin.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    listed = rbin.list_rules(ResourceType="EBS_SNAPSHOT")["Rules"]
    assert [rule["Identifier"] for rule in listed] == [identifier]
    assert rbin.list_rules(ResourceType="EC2_IMAGE")["Rules"] == []

    rbin.delete_rule(Identifier=identifier)
    with pytest.raises(ClientError) as caught:
        rbin.get_rule(Identifier=identifier)
    assert error_code(caught.value) == "ResourceNotFoundException"
    assert http_status(caught.value) == 404


@pytest.mark.parametrize(
    "change",
    [
        {"RetentionPeriod": {"RetentionPeriodValue": 0, "RetentionPeriodUnit": "DAYS"}},
        {"RetentionPeriod": {"RetentionPeriodValue": 3651, "RetentionPeriodUnit": "DAYS"}},
        {"RetentionPeriod": {"RetentionPeriodValue": 7, "RetentionPeriodUnit": "WEEKS"}},
        {"ResourceType": "EBS_VOLUMES"},
        {"RetentionPeriod": None},
        {"Description": "two\nlines"},
    ],
)
def test_create_rule_is_validated_against_the_model(
    emulator: Emulator, change: dict[str, Any]
) -> None:
    unchecked = rbin_client(emulator, NO_RETRIES.merge(Config(parameter_validation=False)))
    request = {k: v for k, v in {**RULE, **change}.items() if v is not None}
    with pytest.raises(ClientError) as caught:
        unchecked.create_rule(**request)
    assert error_code(caught.value) == "ValidationException"
    assert unchecked.list_rules(ResourceType="EBS_SNAPSHOT")["Rules"] == []


def test_a_rule_keeps_its_resource_type(rbin: Any) -> None:
    identifier = rbin.create_rule(**RULE)["Identifier"]
    with pytest.raises(ClientError) as caught:
        rbin.update_rule(Identifier=identifier, ResourceType="EC2_IMAGE")
    assert error_code(caught.value) == "ValidationException"
    assert rbin.get_rule(Identifier=identifier)["ResourceType"] == "EBS_SNAPSHOT"


def test_another_account_does_not_see_the_rule(emulator: Emulator, rbin: Any) -> None:
    identifier = rbin.create_rule(**RULE)["Identifier"]
    other = rbin_client(emulator, account=OTHER_ACCOUNT_ID)
    with pytest.raises(ClientError) as caught:
        other.delete_rule(Identifier=identifier)
    assert error_code(caught.value) == "ResourceNotFoundException"
    assert rbin.get_rule(Identifier=identifier)["Status"] == "available"


def test_reset_forgets_the_rules(emulator: Emulator, rbin: Any) -> None:
    rbin.create_rule(**RULE)
    emulator.reset()
    assert rbin.list_rules(ResourceType="EBS_SNAPSHOT")["Rules"] == []
