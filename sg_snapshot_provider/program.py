"""For code that runs in the Pulumi *program* rather than in the plugin, such as listing a
gateway's volumes to declare one snapshot each: the stack's ``aws:`` config, read from the
program's ``pulumi.Config("aws")`` through the provider's own ``settings``, so that the program
reaches AWS as the identity the provider deploys with (``aws:profile``, ``aws:assumeRoles``,
``aws:assumeRoleWithWebIdentity``, ``aws:endpoints``, ``aws:allowedAccountIds``…), never through
boto3's bare default chain::

    from sg_snapshot_provider.program import gateway_volume_arns, program_client

    volume_arns = gateway_volume_arns(gateway_arn)       # ListVolumes, every page
    sgw = program_client("storagegateway", "eu-west-1")  # any other call, same identity
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pulumi

from .aws import clients
from .aws.retry import RetryPolicy
from .aws.volumes import list_volume_arns
from .settings import Settings, settings_from_namespace

__all__ = ["gateway_volume_arns", "program_client", "settings_from_pulumi_config"]


def settings_from_pulumi_config(
    config: pulumi.Config | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """The provider's settings from the program's stack config (``pulumi.Config("aws")``
    unless another namespace's ``config`` is given) and the environment; a bad value raises
    :class:`~sg_snapshot_provider.errors.ConfigurationError` naming the key, as the plugin
    would."""
    source = pulumi.Config("aws") if config is None else config
    return settings_from_namespace(source.get, os.environ if environ is None else environ)


def program_client(
    service: str, region: str | None = None, settings: Settings | None = None
) -> Any:
    """A boto3 client of ``service`` with the stack's identity and connection settings, and
    botocore's retries (``aws:maxRetries``). ``region`` None: ``aws:region``, then boto3's
    chain."""
    return clients.program_client(service, region, settings or settings_from_pulumi_config())


def gateway_volume_arns(gateway_arn: str, settings: Settings | None = None) -> list[str]:
    """The ARN of every volume of ``gateway_arn`` (``ListVolumes``, every page, retried like
    the provider's calls), asked in the gateway's region with the stack's identity."""
    settings = settings or settings_from_pulumi_config()
    client = clients.storagegateway_client(gateway_arn.split(":")[3], settings)
    return list_volume_arns(client, gateway_arn, RetryPolicy.of(settings))
