"""Tag arithmetic: merge, the EC2 changes between two tag sets, drift read-back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sg_snapshot_provider.inputs import (
    TagChanges,
    merge_tags,
    resource_tags_from_actual,
    tag_changes,
)

tag_sets = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=3),
    st.text(alphabet="xyz", max_size=2),
    max_size=8,
)


def test_nothing_changed_means_no_calls() -> None:
    changes = tag_changes({"a": "1"}, {"a": "1"})
    assert changes.empty
    assert changes == TagChanges()


def test_removed_changed_and_added_keys() -> None:
    changes = tag_changes(
        {"keep": "1", "change": "1", "drop": "1"}, {"keep": "1", "change": "2", "add": "3"}
    )
    assert changes.to_delete == ("drop",)
    assert changes.to_set == {"change": "2", "add": "3"}


def test_changed_value_is_overwritten_not_deleted() -> None:
    # CreateTags overwrites: deleting first would be a wasted call.
    assert tag_changes({"a": "1"}, {"a": "2"}).to_delete == ()


@given(tag_sets, tag_sets)
def test_changes_turn_old_into_new(old: dict[str, str], new: dict[str, str]) -> None:
    changes = tag_changes(old, new)
    assert changes.apply(old) == new


@given(tag_sets, tag_sets)
def test_changes_are_minimal(old: dict[str, str], new: dict[str, str]) -> None:
    changes = tag_changes(old, new)
    assert set(changes.to_delete) == set(old) - set(new)
    assert all(old.get(k) != v for k, v in changes.to_set.items())
    assert changes.empty == (old == new)


@given(tag_sets, tag_sets)
def test_merge_resource_tags_win(defaults: dict[str, str], tags: dict[str, str]) -> None:
    merged = merge_tags(defaults, tags)
    assert set(merged) == set(defaults) | set(tags)
    assert all(merged[k] == v for k, v in tags.items())


def test_read_back_hides_unchanged_default_tags() -> None:
    actual = {"owner": "ops", "team": "storage"}
    assert resource_tags_from_actual(actual, {"owner": "ops"}, {"team": "storage"}) == {
        "team": "storage"
    }


def test_read_back_shows_out_of_band_and_changed_defaults() -> None:
    actual = {"owner": "someone-else", "team": "storage", "oob": "1"}
    tags = resource_tags_from_actual(actual, {"owner": "ops"}, {"team": "storage"})
    assert tags == actual


def test_read_back_keeps_a_resource_tag_equal_to_a_default() -> None:
    actual = {"owner": "ops"}
    assert resource_tags_from_actual(actual, {"owner": "ops"}, {"owner": "ops"}) == actual


@given(tag_sets, tag_sets)
def test_read_back_of_an_untouched_snapshot_is_the_resource_tags(
    defaults: dict[str, str], tags: dict[str, str]
) -> None:
    actual = merge_tags(defaults, tags)
    assert resource_tags_from_actual(actual, defaults, tags) == tags  # type: ignore[arg-type]
