"""Errors the provider raises: each keeps its context and formats one clear sentence."""

from __future__ import annotations

from datetime import datetime


class SnapshotProviderError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(SnapshotProviderError, ValueError):
    """A stack configuration value (``aws:…``) is malformed."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"invalid configuration {key}: {reason}")


class AccountNotAllowedError(SnapshotProviderError):
    """The credentials in use belong to an AWS account the stack config rules out
    (``aws:allowedAccountIds`` does not list it, or ``aws:forbiddenAccountIds`` does): every
    operation fails with this one sentence before any Storage Gateway or EC2 request."""

    def __init__(self, account_id: str, key: str, allowed: tuple[str, ...] = ()) -> None:
        self.account_id = account_id
        self.key = key
        if allowed and account_id not in allowed:
            rule = f"which {key} ({', '.join(allowed)}) does not list"
            fix = f"use credentials of an allowed account or add it to {key}"
        else:
            rule, fix = (
                f"which {key} forbids",
                f"use credentials of another account or change {key}",
            )
        super().__init__(
            f"the credentials in use belong to AWS account {account_id}, {rule}: the provider "
            f"refuses to work in it; {fix}"
        )


class AwsOperationError(SnapshotProviderError):
    """An AWS call failed. Keeps the operation, the subject (volume ARN or snapshot ID), the AWS
    error code and message, and a hint that says what the user can do about it."""

    def __init__(
        self,
        operation: str,
        subject: str,
        code: str,
        aws_message: str,
        hint: str = "",
    ) -> None:
        self.operation = operation
        self.subject = subject
        self.code = code
        self.aws_message = aws_message
        self.hint = hint
        message = f"{operation} {subject}: {code}: {aws_message.rstrip('.')}."
        super().__init__(f"{message} {hint}" if hint else message)


class AccessDeniedError(AwsOperationError):
    """AWS refused an action to the credentials in use (``UnauthorizedOperation``,
    ``AccessDeniedException``, …): one sentence naming the IAM action to add (``action``),
    whatever AWS's own message says (EC2 may send it encoded)."""

    def __init__(
        self, operation: str, subject: str, code: str, aws_message: str, action: str
    ) -> None:
        self.operation = operation
        self.subject = subject
        self.code = code
        self.aws_message = aws_message
        self.action = action
        fix = (
            f"an explicit Deny in their policies refuses {action}: narrow that Deny"
            if "explicit deny" in aws_message.lower()
            else f"add {action} to their IAM policy"
        )
        self.hint = (
            f"{fix} (sg-snapshot-provider's iam/provider.json and docs/iam.md say what each "
            "command needs)"
        )
        SnapshotProviderError.__init__(
            self,
            f"{operation} {subject}: AWS denied {action} to the credentials in use ({code}): "
            f"{self.hint}",
        )


class SnapshotNotFoundError(SnapshotProviderError):
    """EC2 does not know the snapshot (deleted, or never existed in that region)."""

    def __init__(self, snapshot_id: str, region: str) -> None:
        self.snapshot_id = snapshot_id
        self.region = region
        super().__init__(f"EBS snapshot {snapshot_id} not found in {region}")


class SnapshotScheduleNotFoundError(SnapshotProviderError):
    """Storage Gateway has no snapshot schedule for the volume: the volume is gone
    (``VolumeNotFound``) or its schedule was deleted (``SnapshotScheduleNotFound``). ``code``
    says which."""

    def __init__(self, volume_arn: str, code: str) -> None:
        self.volume_arn = volume_arn
        self.code = code
        what = "the volume does not exist" if code == "VolumeNotFound" else "it has none"
        super().__init__(f"no snapshot schedule for volume {volume_arn}: {what} ({code})")


class ForeignSnapshotError(SnapshotProviderError):
    """The snapshot exists but another account owns it (shared with the caller, or public)."""

    def __init__(self, snapshot_id: str, region: str, owner_id: str) -> None:
        self.snapshot_id = snapshot_id
        self.region = region
        self.owner_id = owner_id
        super().__init__(
            f"EBS snapshot {snapshot_id} in {region} belongs to account {owner_id}, not to the "
            "account in use: only your own snapshots can be adopted (copy it into your account "
            "with aws ec2 copy-snapshot, then adopt the copy)"
        )


class SnapshotAdoptError(SnapshotProviderError):
    """A snapshot cannot be adopted as declared (its description differs, …)."""


class SnapshotShareError(SnapshotProviderError):
    """A snapshot cannot be shared as declared (encrypted with the default EBS key); raised
    before any ModifySnapshotAttribute."""


class RestoreCheckError(SnapshotProviderError):
    """A restore test of a new snapshot failed: the volume did not become available, or is
    smaller than the snapshot. The test's volume and the new snapshot were deleted again."""


class SnapshotInUseError(AwsOperationError):
    """DeleteSnapshot kept failing with InvalidSnapshot.InUse: a registered AMI uses it."""


class SnapshotLockedError(AwsOperationError):
    """DeleteSnapshot was refused because a snapshot lock holds. The provider never unlocks a
    snapshot to delete it: the resource stays in the state until the lock ends."""

    def __init__(
        self,
        snapshot_id: str,
        mode: str,
        expires_on: datetime | None,
        code: str,
        aws_message: str,
    ) -> None:
        self.snapshot_id = snapshot_id
        self.mode = mode
        self.expires_on = expires_on
        until = f"until {expires_on.isoformat()}" if expires_on else "until its lock ends"
        super().__init__(
            "deleting EBS snapshot",
            snapshot_id,
            code,
            aws_message,
            f"It is locked in {mode} mode {until}, so nobody can delete it before then; the "
            "provider never unlocks a snapshot to delete it, and keeps it in the state: run the "
            "delete again once the lock has ended (or remove the resource from the state with "
            "`pulumi state delete`, which leaves the snapshot in place).",
        )


class SnapshotWaitError(SnapshotProviderError):
    """Waiting for a snapshot to complete failed. Like botocore's ``WaiterError`` it keeps the
    reason and the last state seen."""

    def __init__(
        self,
        snapshot_id: str,
        reason: str,
        last_state: str | None = None,
        last_progress: str | None = None,
    ) -> None:
        self.snapshot_id = snapshot_id
        self.reason = reason
        self.last_state = last_state
        self.last_progress = last_progress
        super().__init__(f"waiting for EBS snapshot {snapshot_id} to complete: {reason}")


class SnapshotFailedError(SnapshotWaitError):
    """The snapshot went to the ``error`` state."""


class SnapshotTimeoutError(SnapshotWaitError):
    """The snapshot was still not completed when the wait's time bound ran out."""


class SnapshotCreateError(SnapshotProviderError):
    """Creating the snapshot succeeded but a later step failed; the provider tried to delete the
    snapshot so that none leaks untracked. Says which snapshot, its create token, and whether
    EC2 confirmed the delete: ``deleted`` is True only then. ``cleanup_error`` is the delete's
    own failure, if it failed; neither means EC2 never showed the snapshot within its visibility
    window, so it may remain."""

    def __init__(
        self,
        snapshot_id: str,
        volume_arn: str,
        cause: Exception,
        *,
        deleted: bool,
        cleanup_error: Exception | None = None,
        token: str = "",
        token_tag: str = "",
    ) -> None:
        self.snapshot_id = snapshot_id
        self.volume_arn = volume_arn
        self.cause = cause
        self.deleted = deleted
        self.cleanup_error = cleanup_error
        self.token = token
        look = (
            f"aws ec2 describe-snapshots --owner-ids self --filters "
            f"Name=tag:{token_tag},Values={token}"
        )
        if deleted:
            cleanup = f"snapshot {snapshot_id} was deleted again, so nothing was left behind"
        elif cleanup_error is not None:
            cleanup = (
                f"deleting snapshot {snapshot_id} failed too ({cleanup_error}); it may remain: "
                f"delete it yourself (aws ec2 delete-snapshot --snapshot-id {snapshot_id}); "
                f"it carries the create token {token}"
            )
        else:
            cleanup = (
                f"EC2 never confirmed deleting snapshot {snapshot_id} (it kept answering that "
                f"the snapshot does not exist), so it may remain: look for it with {look} and "
                "delete it"
            )
        super().__init__(
            f"creating Storage Gateway snapshot of volume {volume_arn}: snapshot {snapshot_id} "
            f"was made, but {cause}; {cleanup}"
        )


class SnapshotSeriesDeleteError(SnapshotProviderError):
    """Deleting a snapshot series left some of its snapshots: ``remaining`` maps each to the
    error its delete met. The others were deleted; Pulumi keeps the series in the state, so the
    next ``pulumi destroy`` (or ``up``, after a replace) deletes what remains. When every one
    left is locked, the message is one sentence naming each lock's end."""

    def __init__(self, series_id: str, remaining: dict[str, Exception], deleted: list[str]) -> None:
        self.series_id = series_id
        self.remaining = remaining
        self.deleted = deleted
        done = f"{len(deleted)} other snapshot(s) were deleted; " if deleted else ""
        locked = {
            sid: error for sid, error in remaining.items() if isinstance(error, SnapshotLockedError)
        }
        if locked and len(locked) == len(remaining):
            ends = "; ".join(f"{sid} in {e.mode} mode {_until(e)}" for sid, e in locked.items())
            super().__init__(
                f"deleting snapshot series {series_id}: {len(locked)} snapshot(s) are locked, "
                f"so nobody can delete them before their locks end ({ends}); {done}the series "
                "stays in the state with every snapshot it held, since the provider never "
                "unlocks a snapshot to delete it: run the destroy again once the locks have "
                "ended, or `pulumi state delete` the series to leave them in place"
            )
            return
        failures = "; ".join(f"{sid}: {error}" for sid, error in remaining.items())
        super().__init__(
            f"deleting snapshot series {series_id}: {len(remaining)} snapshot(s) could not be "
            f"deleted ({failures}); {done}the series stays in the state with every snapshot it "
            "held, so running the operation again deletes what remains"
        )


def _until(error: SnapshotLockedError) -> str:
    return f"until {error.expires_on.isoformat()}" if error.expires_on else "until its lock ends"
