"""The one created-at parser the snapshot's and the series' providers share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sg_snapshot_provider.providers.common import parse_created_at


def test_an_aware_time_is_kept_with_its_offset() -> None:
    assert parse_created_at("2026-11-27T21:51:28.589845+00:00") == datetime(
        2026, 11, 27, 21, 51, 28, 589845, tzinfo=UTC
    )
    east = parse_created_at("2026-11-27T23:51:28+02:00")
    assert east == datetime(2026, 11, 27, 23, 51, 28, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize(
    "value",
    [
        None,
        12,
        "",
        "yesterday",
        # No offset: the provider never writes one, and its zone is unknown (see the docstring).
        "2026-11-27T21:51:28",
    ],
)
def test_anything_else_is_unknown(value: object) -> None:
    assert parse_created_at(value) is None
