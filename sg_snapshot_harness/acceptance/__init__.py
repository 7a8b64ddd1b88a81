"""The acceptance lane (``make acceptance``, ``make sweep``): the lifecycle of every resource
through the real plugin, against the local emulator or, with ``SG_ACCEPTANCE_VOLUME_ARN``, a
real account; and the sweep of what earlier runs left. See docs/acceptance.md."""

from .marks import ACCEPTANCE_PROJECT, ACCEPTANCE_TAG, RunMark, new_run, parse_mark
from .run import LaneResult, run_lane
from .sweep import SweepReport, Verdict, judge, sweep
from .target import VOLUME_ENV, Identity, Target, TargetError, account_target

__all__ = [
    "ACCEPTANCE_PROJECT",
    "ACCEPTANCE_TAG",
    "VOLUME_ENV",
    "Identity",
    "LaneResult",
    "RunMark",
    "SweepReport",
    "Target",
    "TargetError",
    "Verdict",
    "account_target",
    "judge",
    "new_run",
    "parse_mark",
    "run_lane",
    "sweep",
]
