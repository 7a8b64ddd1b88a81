"""The table of keys in sg_snapshot_provider/settings/table.py stays in step with Settings: every
field but the timings is filled by exactly one row, and every row names a field that exists."""

from __future__ import annotations

import dataclasses
from collections import Counter

from sg_snapshot_provider.settings import HONOURED_KEYS, KEYS, Settings


def test_every_settings_field_has_exactly_one_row() -> None:
    filled = Counter(key.field for key in KEYS if key.field is not None)
    fields = {f.name for f in dataclasses.fields(Settings)} - {"timings"}
    assert set(filled) == fields
    assert [name for name, count in filled.items() if count > 1] == []


def test_a_row_without_a_field_has_no_parser() -> None:
    assert all((key.field is None) == (key.parse is None) for key in KEYS)


def test_every_key_has_one_row() -> None:
    assert len(HONOURED_KEYS) == len(KEYS)
    assert all(key.name.startswith("aws:") for key in KEYS)
