"""Leftovers of interrupted deployments: the snapshots a create made whose answer never reached
the state, and nothing else.

When the Pulumi CLI dies in the middle of a create (Ctrl-C twice, a CI job killed, an OOM
kill), the engine's checkpoint keeps a pending operation of type ``creating`` (``updating`` for
a series' rotation): the inputs that check returned, written before Create was sent. Check puts
the create token in those inputs and the snapshot carries it (``CREATE_TOKEN_TAG``), so such a
leftover is matched exactly, by token. A snapshot is a leftover only when all of these hold:

1. a pending operation of this package's resources in the export carries its token;
2. EC2 shows it, owned by the caller, with that token and the owner tag of that operation's
   resource (adopting a snapshot re-tags its owner, so an adopted one never matches);
3. no resource of the export names its ID anywhere (ID, inputs, outputs);
4. the export was written after that create must have ended: the checkpoint's time is later
   than the snapshot's start plus the create's own wait and a margin (``settle_seconds``). An
   export written earlier (during the deployment, or as it was killed) cannot tell whether the
   create was recorded later: its snapshot is "too recent", never deleted.

Everything else tagged with the stack is listed and never deleted: a snapshot kept on purpose
(``retain_on_delete``), adopted by another stack, made by a stack of the same name in another
backend or organisation, or left by a create that failed when its plugin died (the engine
then records the failure and keeps no pending operation, so nothing proves whose it is). The
user may name such a snapshot with ``delete_unrecorded``: it is deleted after checks 3 and 4
(with a day's wait, the longest a create can wait) and an owner tag naming this stack.

Knows nothing of Pulumi's runtime: it reads the exported JSON and talks to EC2 through the
AWS layer.

One module per job: ``export.py`` reads the export, ``ec2.py`` finds the snapshots in EC2,
reads the locks of those to delete and deletes them (a locked one is kept, one already deleted
by a concurrent run is "already gone"), ``verdicts.py`` judges each. The command itself is
``sg_snapshot_provider/__main__.py``.
"""

from .ec2 import (
    ALREADY_GONE,
    DELETED,
    NOT_YET,
    Outcome,
    delete_snapshots,
    find_snapshots,
    lock_holds,
)
from .export import (
    ExportError,
    PendingCreate,
    StackExport,
    UnsureError,
    read_export,
)
from .verdicts import (
    DEFAULT_SETTLE_SECONDS,
    UNRECORDED,
    Report,
    Snapshot,
    Verdict,
    judge,
    named_unrecorded,
)

__all__ = [
    "ALREADY_GONE",
    "DEFAULT_SETTLE_SECONDS",
    "DELETED",
    "NOT_YET",
    "UNRECORDED",
    "ExportError",
    "Outcome",
    "PendingCreate",
    "Report",
    "Snapshot",
    "StackExport",
    "UnsureError",
    "Verdict",
    "delete_snapshots",
    "find_snapshots",
    "judge",
    "lock_holds",
    "named_unrecorded",
    "read_export",
]
