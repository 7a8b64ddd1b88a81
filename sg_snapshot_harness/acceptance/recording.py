"""``--record DIR``: every AWS request of a run and its answer, one JSON line each, with the
account's identity scrubbed, in this process (the lane's checks, sweep and schedule guard) and
in the plugin's (through a ``sitecustomize`` the plugin finds on ``PYTHONPATH``).

Scrubbed before anything is written: every string of exactly twelve digits (account IDs:
``OwnerId``, ``Account``, ``UserIds``…), the account part of every ARN, access key IDs
(``AKIA…``/``ASIA…``) and IAM unique IDs (``AIDA…``/``AROA…``). They become the emulator's
account, ``123456789012``, so that a recording replays against the emulator as it is
(``tests/acceptance/test_recordings.py``). Headers (signatures, session tokens) are never
recorded.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

#: The directory the plugin's ``sitecustomize`` records into.
RECORD_ENV = "SG_ACCEPTANCE_RECORD_DIR"
#: What an account ID becomes: the emulator's own account.
SCRUBBED_ACCOUNT = "123456789012"
_ACCOUNT = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:)\d{12}(?=[:/])")
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
_UNIQUE_ID = re.compile(r"\b(AIDA|AROA)[A-Z0-9]{16,}\b")
_SITECUSTOMIZE = """\
from sg_snapshot_harness.acceptance.recording import record_every_session
record_every_session()
"""


def scrub(value: Any) -> Any:
    """``value`` (parameters or an answer) with the identity of the account taken out."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str):
        if _ACCOUNT.match(value):
            return SCRUBBED_ACCOUNT
        text = _ARN_ACCOUNT.sub(rf"\g<1>{SCRUBBED_ACCOUNT}", value)
        text = _ACCESS_KEY.sub(r"\g<1>XXXXXXXXXXXXXXXX", text)
        return _UNIQUE_ID.sub(r"\g<1>XXXXXXXXXXXXXXXX", text)
    return value


class Recorder:
    """Appends one JSON line per AWS call to ``DIR/<name>-<pid>.jsonl``."""

    def __init__(self, directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{name}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()

    def attach(self, events: Any) -> None:
        """Record the calls of a client (``client.meta.events``) or a botocore session."""
        events.register("provide-client-params", self._remember_params)
        events.register("after-call", self._write)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recorded_params"] = dict(params)

    def _write(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        line = {
            # Lines of the lane and of the plugin interleave by this (wall clock, seconds).
            "at": round(time.time(), 6),
            "service": model.service_model.service_name,
            "operation": model.name,
            "params": scrub(context.get("recorded_params", {})),
            "status": int(http_response.status_code),
            "answer": scrub(parsed),
        }
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, sort_keys=True) + "\n")


def record_every_session() -> None:
    """In the plugin: every botocore session made from now on records (``RECORD_ENV``)."""
    directory = os.environ.get(RECORD_ENV)
    if not directory:
        return
    import botocore.session

    recorder = Recorder(Path(directory), "plugin")
    original = botocore.session.Session.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        recorder.attach(self)

    botocore.session.Session.__init__ = init  # type: ignore[method-assign]


def plugin_record_environment(
    directory: Path, base: dict[str, str], repo_root: Path
) -> dict[str, str]:
    """``base`` plus what makes the plugin record into ``directory``: a ``sitecustomize`` on
    its ``PYTHONPATH`` (written into ``directory/.sitecustomize``), and the repository root,
    where it imports this module from (site runs before ``-m`` puts the cwd on the path)."""
    site = directory / ".sitecustomize"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    paths = [str(site), str(repo_root), base.get("PYTHONPATH", "")]
    return {
        **base,
        RECORD_ENV: str(directory),
        "PYTHONPATH": os.pathsep.join(path for path in paths if path),
    }
