"""What every provider of the package does the same way: settings from the stack config,
nothing pickled into state but the class, and engine values mapped to and from the pure
modules' values."""

from __future__ import annotations

import functools
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pulumi.dynamic import CheckFailure, CheckResult, Config, ConfigureRequest, ResourceProvider
from pulumi.output import UNKNOWN as PULUMI_UNKNOWN
from pulumi.output import Unknown as PulumiUnknown
from pulumi.runtime import rpc

from .. import aws
from ..errors import (
    AwsOperationError,
    SnapshotCreateError,
    SnapshotProviderError,
    SnapshotWaitError,
)
from ..hidden_values import free_text_values, hide_in_exception, hiding
from ..inputs import (
    CREATE_TOKEN,
    CREATE_TOKEN_TAG,
    PROVIDER_KEY,
    UNKNOWN,
    Failure,
    Unknown,
    create_token_of,
)
from ..plugin_threads import widen_plugin_thread_pool
from ..settings import Settings, ignored_key_message, ignored_keys, settings_from_config

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: The engine calls that may pass AWS's words on, in errors or diagnostics.
ENGINE_CALLS = ("diff", "create", "read", "update", "delete")

#: The ``aws:`` keys already named as ignored in this plugin process (each is named once).
_named_keys: set[str] = set()
_named_lock = threading.Lock()


class ConfiguredProvider(ResourceProvider):
    """A provider whose settings (which may hold credentials) are set by :meth:`configure` in
    the plugin process and never reach state: only the class is pickled, by reference."""

    # Nothing secret is ever captured (see __reduce__), so the serialized provider need not be
    # encrypted in state.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._settings = Settings()

    def __reduce__(self) -> tuple[type[Self], tuple[()]]:
        # Only the class reference is pickled: no settings, no credentials, no clients.
        return (type(self), ())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ENGINE_CALLS:
            if name in cls.__dict__:
                setattr(cls, name, hiding_free_text(cls.__dict__[name]))

    def configure(self, req: ConfigureRequest) -> None:
        self._settings = settings_from_config(req.config.get, os.environ)
        name_ignored_keys(config_keys(req.config))
        # Waiting calls must not hold the plugin's 4 threads (plugin_threads explains).
        widen_plugin_thread_pool()

    @property
    def _policy(self) -> aws.RetryPolicy:
        return aws.RetryPolicy.of(self._settings)


def hiding_free_text(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` with the resource's descriptions, tag values and triggers hidden from the AWS
    error messages it passes on (``hidden_values`` says why): any of them may have been a
    secret. A traceback too long for the plugin to send loses its chain of causes."""

    @functools.wraps(call)
    def hidden(self: ConfiguredProvider, *args: Any) -> Any:
        with hiding(free_text_values(*args)):
            try:
                return call(self, *args)
            except Exception as err:
                shown = hide_in_exception(err, SnapshotProviderError)
                if shown is err and not _too_long_to_send(err):
                    raise
                raise shown from None

    return hidden


#: The plugin sends a failed call's traceback as the gRPC status message, and grpc's clients
#: refuse one over 8 KiB ("received metadata size exceeds soft limit"): the engine would then
#: show that instead of the error. Past this many characters, the chain of causes is left out
#: (the error's own sentence says what happened).
TRACEBACK_BUDGET = 6000


def _too_long_to_send(err: BaseException) -> bool:
    return len("".join(traceback.format_exception(err))) > TRACEBACK_BUDGET


def config_keys(config: Config) -> list[str]:
    """The keys of the stack config the engine sent. ``pulumi.dynamic.Config`` offers no way to
    list them; it keeps them in ``_props`` (an empty list if that ever changes: then no key is
    named as ignored, and nothing else is affected)."""
    props = getattr(config, "_props", None)
    return [str(key) for key in props] if isinstance(props, Mapping) else []


def name_ignored_keys(keys: Iterable[str]) -> None:
    """Name each ``aws:`` key this provider ignores on stderr (the Pulumi console shows it), once
    per plugin process however many providers are configured: never an error."""
    with _named_lock:
        new = [key for key in ignored_keys(keys) if key not in _named_keys]
        _named_keys.update(new)
    for key in new:
        print(ignored_key_message(key), file=sys.stderr, flush=True)


def check_result(
    news: dict[str, Any], props: dict[str, Any] | None, failures: list[Failure]
) -> CheckResult:
    """Check's answer: the normalised inputs, or the engine's inputs and every failure."""
    if props is None:
        return CheckResult(news, [CheckFailure(f.property, f.reason) for f in failures])
    return CheckResult(to_engine(props), [])


def with_create_token(
    props: dict[str, Any], old_inputs: Mapping[str, Any], same_snapshot: bool
) -> dict[str, Any]:
    """Check's inputs with the create token of the resource's next create: the old inputs'
    while they describe the same snapshot (``same_snapshot``; none for inputs written before
    check made tokens), otherwise a new one. The engine records these inputs before it sends
    Create, so a create interrupted with its CLI leaves its token in the checkpoint."""
    token = create_token_of(old_inputs) if same_snapshot else aws.new_create_token()
    props.pop(CREATE_TOKEN, None)
    if token is not None:
        props[CREATE_TOKEN] = token
    return props


def invalid_inputs(resource: str, failures: list[Failure]) -> ValueError:
    """Inputs create/update got that check would have refused: the engine checks first, so
    this is a bug, said plainly."""
    problems = "; ".join(f"{f.property}: {f.reason}" for f in failures)
    return ValueError(f"invalid {resource} inputs: {problems or 'unknown'}")


def from_engine(props: Any) -> Any:
    """Plain values for the pure modules: secrets unwrapped (the providers do not accept
    secrets, but be safe), both of Pulumi's unknown markers mapped to inputs.UNKNOWN, and the
    engine's ``__provider`` dropped. Only the top-level key is the engine's: one inside
    ``tags`` or ``triggers`` is the user's and is kept like any other key."""
    value = _plain(props)
    if isinstance(value, dict):
        value.pop(PROVIDER_KEY, None)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, PulumiUnknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_engine(value: Any) -> Any:
    if isinstance(value, Unknown):
        return PULUMI_UNKNOWN
    if isinstance(value, Mapping):
        return {k: to_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_engine(v) for v in value]
    return value


# --- shared by the snapshot's and the series' providers -------------------------------------


def known_tags(tags: Mapping[str, Any] | Unknown) -> dict[str, str]:
    """Tags to write to AWS: none while they are unknown (create/update never see unknowns,
    check refuses them; this only keeps the types honest)."""
    return {} if isinstance(tags, Unknown) else {str(k): str(v) for k, v in tags.items()}


def parse_created_at(value: object) -> datetime | None:
    """When the provider made a snapshot, from the ISO 8601 text its state records; None when
    the state does not say (written before the output existed: such a snapshot is long
    visible) or says it in a form the provider never writes.

    A time without a UTC offset is such a form (the provider writes ``datetime.now(UTC)``) and
    counts as unknown rather than as UTC: its zone could be any, and read as UTC a local time
    east of Greenwich lies in the future, which would stretch EC2's visibility window (while
    which NotFound is retried, ``aws.visibility_seconds_left``) by hours. Unknown means "long
    visible", the window's documented default, as ``orphans`` reads the export's time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def wait_or_roll_back(
    ec2: EC2Client,
    volume_arn: str,
    created: aws.CreatedSnapshot,
    timeout: float,
    policy: aws.RetryPolicy,
) -> aws.SnapshotInfo:
    """Wait until the snapshot just made is completed; if the wait fails, delete it so that
    none leaks untracked (a failed create or update returns no outputs, so the state would
    never name it), and raise a :class:`SnapshotCreateError` that says whether EC2 confirmed
    the delete and which create token tags the snapshot if it did not."""
    try:
        return aws.wait_for_snapshot_completed(
            ec2, created.snapshot_id, timeout, policy, created_at=created.created_at
        )
    except (SnapshotWaitError, AwsOperationError) as err:
        raise roll_back_new_snapshot(ec2, volume_arn, created, err, policy) from err


def roll_back_new_snapshot(
    ec2: EC2Client,
    volume_arn: str,
    created: aws.CreatedSnapshot,
    cause: Exception,
    policy: aws.RetryPolicy,
) -> SnapshotCreateError:
    """Delete a snapshot just made whose wait, protection, sharing or restore test failed (a
    failed create or update returns no outputs: the state would never name it); the error to
    raise says whether EC2 confirmed the delete and which create token tags the snapshot."""
    deleted, cleanup_error = False, None
    try:
        deleted = aws.delete_snapshot(
            ec2, created.snapshot_id, policy, created_at=created.created_at
        )
    except AwsOperationError as err:
        cleanup_error = err
    return SnapshotCreateError(
        created.snapshot_id,
        volume_arn,
        cause,
        deleted=deleted,
        cleanup_error=cleanup_error,
        token=created.token,
        token_tag=CREATE_TOKEN_TAG,
    )
