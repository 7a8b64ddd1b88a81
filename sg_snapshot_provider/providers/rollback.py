"""Putting back what a failed update wrote.

The dynamic-provider plugin cannot return outputs from a failing update: an exception aborts the
call with no properties and the engine keeps the *old* outputs (``pulumi/dynamic/__main__.py``).
If the update had already changed something in AWS (tags, a schedule), the state would then
describe values AWS no longer has: reverting the program would preview as "same" and leave AWS
as the failed update made it. So each update that writes before a step that can still fail runs
those writes under :func:`undone_on_failure`: on a failure the old values are written back and
the original error is raised, AWS and the state agreeing again. Only when putting them back
fails as well does the error say so, and that ``pulumi refresh`` makes the state show what AWS
holds (the next ``pulumi up`` then plans from there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import SnapshotProviderError


class NotRolledBackError(SnapshotProviderError):
    """An update failed, and writing back the old values it had changed failed too."""

    def __init__(self, error: Exception, undo_error: Exception, what: str) -> None:
        self.error = error
        self.undo_error = undo_error
        code = getattr(undo_error, "code", type(undo_error).__name__)
        super().__init__(
            f"{str(error).rstrip('.')}, and putting back the {what} it had changed failed too "
            f"({code}): run `pulumi refresh` so that the state shows what AWS now holds, then "
            "`pulumi up`."
        )


@contextmanager
def undone_on_failure(undo: Callable[[], object], what: str) -> Iterator[None]:
    """Run the block; if it raises, call ``undo`` (which writes the old ``what`` back, and must
    be idempotent: the failed writes may or may not have been done) and re-raise the block's
    error, or a :class:`NotRolledBackError` naming both when ``undo`` fails too."""
    try:
        yield
    except Exception as err:
        try:
            undo()
        except Exception as undo_err:  # the first error must not be lost
            raise NotRolledBackError(err, undo_err, what) from err
        raise
