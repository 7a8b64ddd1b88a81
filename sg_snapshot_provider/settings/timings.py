"""Time bounds of the provider's waits and retries, and their override by environment variable.

Not stack config: tests and benchmarks shorten them for a plugin they start in a subprocess.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Final

from .reading import fail


@dataclass(frozen=True)
class Timings:
    """Time bounds of the provider's waits and retries. How many times one request is sent
    comes from ``aws:maxRetries`` instead. Tests that run the plugin in a subprocess shorten
    them with the ``SG_SNAPSHOT_PROVIDER_TIMINGS`` environment variable (:data:`TIMINGS_ENV`);
    field names are stable: add fields, never rename them."""

    #: How long to keep retrying a gateway in a transient state (GatewayNotConnected, …).
    transient_retry_seconds: float = 120.0
    #: How long DeleteSnapshot retries InvalidSnapshot.InUse (an AMI may be deregistering).
    in_use_retry_seconds: float = 120.0
    backoff_initial_seconds: float = 2.0
    backoff_max_seconds: float = 20.0
    #: After CreateSnapshot's answer was lost, how long to let a request that may still be in
    #: flight land before looking for the snapshot it made.
    ambiguous_settle_seconds: float = 5.0
    #: The longest pause between two DescribeSnapshots polls while waiting for completion.
    poll_interval_seconds: float = 15.0
    #: The first pause between polls; later pauses grow with the wait (a fifth of the time
    #: waited so far) up to ``poll_interval_seconds``.
    poll_initial_seconds: float = 1.0
    #: Report progress at least this often even when it did not change.
    progress_every_seconds: float = 60.0
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0
    #: EC2 is eventually consistent: for this long after the provider made a snapshot,
    #: InvalidSnapshot.NotFound means "not visible yet" and is retried, not believed.
    visibility_window_seconds: float = 120.0
    #: How long a throttled request (RequestLimitExceeded…) keeps being retried, paced by the
    #: client's rate limiter, before aws:maxRetries counts its attempts again.
    throttled_retry_seconds: float = 900.0


#: Environment variable holding JSON overrides of :class:`Timings` fields, e.g.
#: ``{"transient_retry_seconds": 1}``. Read when settings are read (``configure``).
TIMINGS_ENV: Final = "SG_SNAPSHOT_PROVIDER_TIMINGS"


def timings_from_env(text: str | None) -> Timings:
    """:class:`Timings` with the overrides of :data:`TIMINGS_ENV` (None or empty: the
    defaults); raises :class:`ConfigurationError` naming the variable."""
    if not text:
        return Timings()
    names = ", ".join(f.name for f in dataclasses.fields(Timings))
    try:
        overrides = json.loads(text)
    except ValueError as err:
        fail(TIMINGS_ENV, f"expected a JSON object of {names}; {err}")
    if not isinstance(overrides, dict):
        fail(TIMINGS_ENV, f"expected a JSON object of {names}")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(Timings)})
    if unknown:
        fail(TIMINGS_ENV, f"unknown field {', '.join(unknown)}; the fields are {names}")
    values: dict[str, float] = {}
    for name, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            fail(TIMINGS_ENV, f"{name} must be a number of seconds, 0 or more; got {value!r}")
        values[name] = float(value)
    return dataclasses.replace(Timings(), **values)
