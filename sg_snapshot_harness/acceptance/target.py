"""Where the acceptance lane runs: the local emulator (the default, and CI's) or a real account
(``SG_ACCEPTANCE_VOLUME_ARN`` and the caller's usual AWS credentials).

The target makes the lane's own boto3 clients (checks, sweep, schedule guard) and the plugin's
environment. Against the emulator both use dummy credentials and its endpoint; against an
account they use boto3's default chain (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``…) untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sg_snapshot_provider.inputs.arns import parse_volume_arn, volume_arn_problem
from sg_snapshot_provider.settings import TIMINGS_ENV

from ..plugin import DUMMY_AWS_ENVIRONMENT, PluginProcess, plugin_environment
from .recording import Recorder, plugin_record_environment

#: The variable naming the cached volume of a test gateway to run against.
VOLUME_ENV = "SG_ACCEPTANCE_VOLUME_ARN"
#: The volume the lane seeds in its own emulator.
EMULATOR_VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
#: Throttling and 5xx answers are retried by botocore's standard mode: the lane's own calls
#: share the account's token buckets with everything else there.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
#: Short provider time bounds against the emulator (it answers in milliseconds); the window
#: outlasts the emulator's visibility lag the lane turns on, so the lag is tolerated.
EMULATOR_TIMINGS: Mapping[str, float] = {
    "poll_initial_seconds": 0.05,
    "poll_interval_seconds": 0.25,
    "backoff_initial_seconds": 0.05,
    "backoff_max_seconds": 0.2,
    "visibility_window_seconds": 5.0,
    "ambiguous_settle_seconds": 0.2,
}


class TargetError(Exception):
    """The target is misconfigured (said before anything is created)."""


@dataclass(frozen=True)
class Identity:
    """Who the lane runs as (STS GetCallerIdentity)."""

    account: str
    arn: str


@dataclass(frozen=True)
class Target:
    """A volume, and the endpoint its AWS calls go to (None: AWS itself)."""

    volume_arn: str
    endpoint_url: str | None = None
    #: How long "not visible yet" is waited out by the lane's own checks.
    visibility_seconds: float = 120.0
    #: ``--record``: every AWS call of the run, the plugin's too, saved there.
    record_dir: Path | None = None
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The lane's recorder, made with the first client (a list: the dataclass is frozen).
    _recorder: list[Recorder] = field(default_factory=list, compare=False, repr=False)

    @property
    def on_emulator(self) -> bool:
        return self.endpoint_url is not None

    @property
    def region(self) -> str:
        return parse_volume_arn(self.volume_arn).region

    @property
    def gateway_arn(self) -> str:
        return parse_volume_arn(self.volume_arn).gateway_arn

    def where(self) -> str:
        """Where the requests go: the emulator, an endpoint the environment names, or AWS."""
        if self.on_emulator:
            return f"the local emulator at {self.endpoint_url}"
        override = os.environ.get("AWS_ENDPOINT_URL")
        return f"AWS_ENDPOINT_URL={override}" if override else "AWS"

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in the volume's region (made once)."""
        if service not in self._clients:
            client = make_client(service, self.region, self.endpoint_url)
            if self.record_dir is not None:
                if not self._recorder:
                    self._recorder.append(Recorder(self.record_dir, "lane"))
                self._recorder[0].attach(client.meta.events)
            self._clients[service] = client
        return self._clients[service]

    def identity(self) -> Identity:
        """The caller, from STS; TargetError when the volume is in another account."""
        answer = self.client("sts").get_caller_identity()
        identity = Identity(str(answer["Account"]), str(answer["Arn"]))
        volume_account = parse_volume_arn(self.volume_arn).account_id
        if volume_account != identity.account:
            raise TargetError(
                f"{VOLUME_ENV} names a volume of account {volume_account}, but the credentials "
                f"are of account {identity.account}: use credentials of the volume's account"
            )
        return identity

    def start_plugin(self, cwd: Path) -> PluginProcess:
        """The real dynamic-provider plugin, its AWS calls going where this target's go."""
        if self.endpoint_url is not None:
            env = plugin_environment(
                self.endpoint_url, {TIMINGS_ENV: json.dumps(dict(EMULATOR_TIMINGS))}
            )
        else:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.record_dir is not None:
            env = plugin_record_environment(self.record_dir, env, cwd)
        return PluginProcess(env, cwd=cwd).start()


def make_client(service: str, region: str, endpoint_url: str | None) -> Any:
    """A boto3 client: at ``endpoint_url`` with the emulator's dummy credentials, or (None)
    at AWS with boto3's default credential chain."""
    extra: dict[str, Any] = {}
    if endpoint_url is not None:
        extra = {
            "endpoint_url": endpoint_url,
            "aws_access_key_id": DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        }
    make: Any = boto3.client  # typed per service name; the name is a variable here
    return make(service, region_name=region, config=RETRY_CONFIG, **extra)


def account_target(environ: Mapping[str, str]) -> Target | None:
    """The account target ``SG_ACCEPTANCE_VOLUME_ARN`` asks for; None when it is unset.
    TargetError (before any AWS call) when it is not a volume ARN."""
    volume_arn = environ.get(VOLUME_ENV, "").strip()
    if not volume_arn:
        return None
    problem = volume_arn_problem(volume_arn, VOLUME_ENV)
    if problem is not None:
        raise TargetError(problem)
    return Target(volume_arn)
