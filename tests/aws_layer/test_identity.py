"""The identity of aws/clients.py against the emulator (moto serves STS): roles assumed with
botocore's fetchers, in order; credentials refreshed before they run out; the web identity of
a CI system; shared files and a profile; the account check; and the connection keys (STS region,
proxies, FIPS and dual-stack, user agents, retry mode, CA bundle). Every assertion counts the
emulator's request log, which says in which account and region each call ran."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider import AccountNotAllowedError, aws
from sg_snapshot_provider.aws import clients
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.errors import ConfigurationError
from sg_snapshot_provider.settings import Settings
from tests.accounts import (
    BASE_ACCOUNT,
    OTHER_ACCOUNT,
    ROLE_ACCOUNT,
    by_operation,
    resource_calls,
    role_arn,
)
from tests.conftest import REGION, settings_from_mapping


@pytest.fixture(autouse=True)
def no_cached_identity(emulator: Emulator) -> Iterator[None]:
    """The emulator forgets every issued key between tests: so must the client cache."""
    aws.clear_client_cache()
    yield
    aws.clear_client_cache()


def roles(*arns: str, **fields: Any) -> dict[str, str]:
    return {"aws:assumeRoles": json.dumps([{"roleArn": arn, **fields} for arn in arns])}


def describe(settings: Settings, region: str = REGION) -> None:
    aws.ec2_client(region, settings).describe_snapshots(OwnerIds=["self"])


def test_assume_role__every_call_runs_in_the_roles_account(emulator: Emulator) -> None:
    settings = settings_from_mapping(roles(role_arn(ROLE_ACCOUNT), sessionName="deploy"))

    for _ in range(3):
        describe(settings)
    aws.storagegateway_client(REGION, settings).list_gateways()

    calls = emulator.calls()
    assumed = by_operation(calls, "AssumeRole")
    assert [call.account for call in assumed] == [BASE_ACCOUNT]  # once, with the base keys
    assert len(resource_calls(calls)) == 4
    assert {call.account for call in resource_calls(calls)} == {ROLE_ACCOUNT}


def test_role_chain__each_role_assumed_with_the_credentials_before_it(emulator: Emulator) -> None:
    settings = settings_from_mapping(
        roles(role_arn(ROLE_ACCOUNT, "hop"), role_arn(OTHER_ACCOUNT, "deployer"))
    )

    describe(settings)
    describe(settings)

    calls = emulator.calls()
    assert [call.account for call in by_operation(calls, "AssumeRole")] == [
        BASE_ACCOUNT,
        ROLE_ACCOUNT,
    ]
    assert [call.account for call in resource_calls(calls)] == [OTHER_ACCOUNT] * 2


def test_role_credentials_refresh_before_they_expire(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-hour session is assumed again in its last 15 minutes (botocore's window), not
    before: a wait of hours keeps valid credentials. The clock moves; nothing sleeps."""
    start = datetime.now(UTC)
    moved = [timedelta(0)]
    monkeypatch.setattr(clients, "_now", lambda: start + moved[0])
    settings = settings_from_mapping(roles(role_arn(ROLE_ACCOUNT), duration="1h"))

    def assumed() -> int:
        return len(by_operation(emulator.calls(), "AssumeRole"))

    describe(settings)
    assert assumed() == 1
    moved[0] = timedelta(minutes=40)
    describe(settings)
    assert assumed() == 1
    moved[0] = timedelta(minutes=46)
    describe(settings)
    assert assumed() == 2
    assert {call.account for call in resource_calls(emulator.calls())} == {ROLE_ACCOUNT}


def test_a_short_session_is_not_assumed_again_for_every_request(emulator: Emulator) -> None:
    """botocore's own windows (refresh 15 minutes before the end) would assume a 15-minute role
    before every request; ours scale with the session."""
    settings = settings_from_mapping(roles(role_arn(ROLE_ACCOUNT), duration="15m"))

    for _ in range(5):
        describe(settings)

    assert len(by_operation(emulator.calls(), "AssumeRole")) == 1


def test_chained_credentials_are_assumed_once_across_threads(emulator: Emulator) -> None:
    settings = settings_from_mapping(
        {
            **roles(role_arn(ROLE_ACCOUNT), role_arn(OTHER_ACCOUNT)),
            "aws:allowedAccountIds": json.dumps([OTHER_ACCOUNT]),
        }
    )
    errors: list[BaseException] = []

    def work() -> None:
        try:
            describe(settings)
        except BaseException as err:  # reported below, with the others
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    calls = emulator.calls()
    assert len(by_operation(calls, "AssumeRole")) == 2
    assert len(by_operation(calls, "GetCallerIdentity")) == 1
    assert [call.account for call in resource_calls(calls)] == [OTHER_ACCOUNT] * 8


def test_web_identity__token_file_then_a_role_on_top(emulator: Emulator, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("eyJ.ci-token.sig")
    settings = settings_from_mapping(
        {
            "aws:assumeRoleWithWebIdentity": json.dumps(
                {
                    "roleArn": role_arn(ROLE_ACCOUNT, "ci"),
                    "webIdentityTokenFile": str(token_file),
                    "sessionName": "ci-run",
                }
            ),
            **roles(role_arn(OTHER_ACCOUNT)),
        }
    )

    describe(settings)
    describe(settings)

    calls = emulator.calls()
    assert len(by_operation(calls, "AssumeRoleWithWebIdentity")) == 1
    assert [call.account for call in by_operation(calls, "AssumeRole")] == [ROLE_ACCOUNT]
    assert [call.account for call in resource_calls(calls)] == [OTHER_ACCOUNT] * 2


def test_web_identity__inline_token(emulator: Emulator) -> None:
    settings = settings_from_mapping(
        {
            "aws:assumeRoleWithWebIdentity": json.dumps(
                {"roleArn": role_arn(ROLE_ACCOUNT, "ci"), "webIdentityToken": "eyJ.inline.sig"}
            )
        }
    )
    describe(settings)
    calls = emulator.calls()
    assert len(by_operation(calls, "AssumeRoleWithWebIdentity")) == 1
    assert [call.account for call in resource_calls(calls)] == [ROLE_ACCOUNT]


def test_web_identity__a_missing_token_file_names_the_key(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {
            "aws:assumeRoleWithWebIdentity": json.dumps(
                {"roleArn": role_arn(ROLE_ACCOUNT), "webIdentityTokenFile": str(tmp_path / "no")}
            )
        }
    )
    with pytest.raises(ConfigurationError, match="aws:assumeRoleWithWebIdentity"):
        describe(settings)


def test_shared_files__the_first_existing_file_and_a_profile_that_assumes_a_role(
    emulator: Emulator, tmp_path: Path
) -> None:
    """botocore's own profile chain (``role_arn`` + ``source_profile``) from the files the
    stack names: the first of the config files that exists is read."""
    config_file = tmp_path / "config"
    config_file.write_text(
        f"[profile deploy]\nrole_arn = {role_arn(ROLE_ACCOUNT)}\nsource_profile = base\n"
    )
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        "[base]\naws_access_key_id = AKIABASEEXAMPLE00001\n"
        "aws_secret_access_key = base-secret-Qw3Er5Ty7\n"
    )
    settings = settings_from_mapping(
        {
            "aws:profile": "deploy",
            "aws:sharedConfigFiles": json.dumps([str(tmp_path / "missing"), str(config_file)]),
            "aws:sharedCredentialsFiles": json.dumps([str(credentials_file)]),
        }
    )

    describe(settings)
    describe(settings)

    calls = emulator.calls()
    assert len(by_operation(calls, "AssumeRole")) == 1
    assert [call.account for call in resource_calls(calls)] == [ROLE_ACCOUNT] * 2


def test_shared_files__a_profile_they_do_not_hold_names_the_key(tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text("[profile other]\nregion = us-east-1\n")
    settings = settings_from_mapping(
        {"aws:profile": "deploy", "aws:sharedConfigFiles": json.dumps([str(config_file)])}
    )
    with pytest.raises(ConfigurationError, match="aws:profile: there is no profile 'deploy'"):
        describe(settings)


def test_forbidden_account__refused_before_any_request(emulator: Emulator) -> None:
    settings = settings_from_mapping({"aws:forbiddenAccountIds": json.dumps([BASE_ACCOUNT])})

    for _ in range(2):
        with pytest.raises(AccountNotAllowedError) as refused:
            describe(settings)
        assert refused.value.account_id == BASE_ACCOUNT
        assert refused.value.key == "aws:forbiddenAccountIds"
        assert str(refused.value) == (
            f"the credentials in use belong to AWS account {BASE_ACCOUNT}, which "
            "aws:forbiddenAccountIds forbids: the provider refuses to work in it; use "
            "credentials of another account or change aws:forbiddenAccountIds"
        )

    assert [call.operation for call in emulator.calls()] == ["GetCallerIdentity"]


def test_allowed_accounts__the_assumed_roles_account_is_what_counts(emulator: Emulator) -> None:
    allowed = settings_from_mapping(
        {**roles(role_arn(ROLE_ACCOUNT)), "aws:allowedAccountIds": json.dumps([ROLE_ACCOUNT])}
    )
    describe(allowed)
    assert [call.account for call in by_operation(emulator.calls(), "GetCallerIdentity")] == [
        ROLE_ACCOUNT
    ]

    refused = settings_from_mapping({"aws:allowedAccountIds": json.dumps([ROLE_ACCOUNT])})
    with pytest.raises(AccountNotAllowedError, match=f"AWS account {BASE_ACCOUNT}, which "):
        describe(refused)


def test_sts_region__the_roles_and_the_account_check_use_it(emulator: Emulator) -> None:
    settings = settings_from_mapping(
        {
            **roles(role_arn(ROLE_ACCOUNT)),
            "aws:region": "eu-west-1",
            "aws:stsRegion": "eu-north-1",
            "aws:forbiddenAccountIds": json.dumps([BASE_ACCOUNT]),
        }
    )
    describe(settings)
    sts = [call for call in emulator.calls() if call.service == "sts"]
    assert [(call.operation, call.region) for call in sts] == [
        ("AssumeRole", "eu-north-1"),
        ("GetCallerIdentity", "eu-north-1"),
    ]
    # The snapshot's region still comes from the caller (the volume ARN), not aws:region.
    assert [call.region for call in resource_calls(emulator.calls())] == [REGION]


def test_sts_region__aws_region_when_unset(emulator: Emulator) -> None:
    settings = settings_from_mapping(
        {**roles(role_arn(ROLE_ACCOUNT)), "aws:region": "ca-central-1"}
    )
    describe(settings)
    assert [call.region for call in by_operation(emulator.calls(), "AssumeRole")] == [
        "ca-central-1"
    ]


def test_sts_endpoint_from_aws_endpoints(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    endpoints = {"ec2": emulator.url, "sts": emulator.url}
    settings = settings_from_mapping(
        {**roles(role_arn(ROLE_ACCOUNT)), "aws:endpoints": json.dumps([endpoints])}
    )
    describe(settings)
    assert [call.account for call in resource_calls(emulator.calls())] == [ROLE_ACCOUNT]


def test_assume_role_failure__says_which_role_could_not_be_assumed() -> None:
    err = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}},
        "AssumeRole",
    )
    message = str(aws.translate(err, "creating snapshot of", "vol-1", "ec2:CreateSnapshot"))
    assert "AssumeRole failed, so the role of aws:assumeRoles" in message
    assert "ec2:CreateSnapshot" not in message  # the snapshot's own permission is not the cause


# --- connection keys ------------------------------------------------------------------------


class _ForwardProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: every request it relays is counted."""

    relayed: list[str]

    def do_POST(self) -> None:
        self._relay()

    def do_GET(self) -> None:
        self._relay()

    def _relay(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path or "/", body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        type(self).relayed.append(self.path)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    relayed: list[str] = []
    handler = type("Proxy", (_ForwardProxy,), {"relayed": relayed})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", relayed
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_proxy__every_request_goes_through_it(
    emulator: Emulator, proxy: tuple[str, list[str]]
) -> None:
    url, relayed = proxy
    settings = settings_from_mapping({**roles(role_arn(ROLE_ACCOUNT)), "aws:httpProxy": url})
    describe(settings)
    describe(settings)
    assert len(relayed) == len(emulator.calls()) == 3  # AssumeRole and two DescribeSnapshots


def test_no_proxy__exempts_the_endpoint(emulator: Emulator, proxy: tuple[str, list[str]]) -> None:
    url, relayed = proxy
    settings = settings_from_mapping(
        {
            **roles(role_arn(ROLE_ACCOUNT)),
            "aws:httpProxy": url,
            "aws:noProxy": "localhost,127.0.0.1",
        }
    )
    describe(settings)
    assert relayed == []
    assert len(emulator.calls()) == 2


def test_fips_and_dualstack_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolved by botocore from the region (no request is sent)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    fips = settings_from_mapping({"aws:useFipsEndpoint": "true"})
    dualstack = settings_from_mapping({"aws:useDualstackEndpoint": "true"})
    plain = Settings()

    assert aws.storagegateway_client("us-east-1", fips).meta.endpoint_url == (
        "https://storagegateway-fips.us-east-1.amazonaws.com"
    )
    assert aws.ec2_client("us-east-1", dualstack).meta.endpoint_url == (
        "https://ec2.us-east-1.api.aws"
    )
    assert aws.ec2_client("us-east-1", plain).meta.endpoint_url == (
        "https://ec2.us-east-1.amazonaws.com"
    )


def test_user_agents__appended_to_every_request(emulator: Emulator) -> None:
    settings = settings_from_mapping({"aws:userAgents": json.dumps(["platform/1.2", "ci/7"])})
    client = aws.ec2_client(REGION, settings)
    seen: list[str] = []
    client.meta.events.register(
        "before-send.ec2", lambda request, **_: seen.append(request.headers["User-Agent"])
    )
    client.describe_snapshots(OwnerIds=["self"])
    (agent,) = seen
    agent_text = agent.decode() if isinstance(agent, bytes) else agent
    assert "sg-snapshot-provider platform/1.2 ci/7" in agent_text


def retries(client: Any) -> Any:
    """The client's botocore retry configuration."""
    return client.meta.config.retries


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        ({}, "standard"),
        ({"aws:retryMode": "standard"}, "standard"),
        ({"aws:retryMode": "adaptive"}, "adaptive"),
    ],
)
def test_retry_mode(config: dict[str, str], mode: str) -> None:
    """botocore never retries Storage Gateway or EC2 (our loop does, and knows which calls may
    be repeated); the adaptive mode adds botocore's client-side rate limiter, which paces our
    retries after throttling. STS, which nothing of ours retries, gets botocore's retries."""
    settings = settings_from_mapping({**config, "aws:maxRetries": "5"})
    sg = aws.storagegateway_client(REGION, settings)
    assert retries(sg) == {"mode": mode, "total_max_attempts": 1}
    # The STS clients botocore's fetchers and the account check are given.
    sts = clients._new_client(aws.session(settings)._session, "sts", REGION, settings)
    assert retries(sts) == {"mode": mode, "total_max_attempts": 6}


def test_retry_mode__from_the_environment_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    assert retries(aws.ec2_client(REGION, Settings()))["mode"] == "adaptive"


def test_custom_ca_bundle(tmp_path: Path) -> None:
    missing = settings_from_mapping({"aws:customCaBundle": str(tmp_path / "none.pem")})
    with pytest.raises(ConfigurationError, match="aws:customCaBundle: there is no file"):
        describe(missing)
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = settings_from_mapping({"aws:customCaBundle": str(bundle)})
    assert aws.session(settings)._session.get_config_variable("ca_bundle") == str(bundle)
