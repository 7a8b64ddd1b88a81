"""Storage Gateway rules that several operations share: tags, page markers, ``NotSupported``.

Real behaviour reproduced, and from where (botocore's ``storagegateway`` model and the Storage
Gateway API reference, unless said otherwise), each answered as
``InvalidGatewayRequestException``/``InvalidParameters`` beyond the model's constraints (which
``validation`` checks before anything runs):

* Tag keys may not start with ``aws:`` in any case and a resource holds at most 50 tags (the
  ``Tag``/``AddTagsToResource`` documentation).
* Tag *values* have no character rule: the model's ``TagValue`` has no pattern (only ``max``
  256), although the documentation's prose lists the same characters as for keys; the model is
  what AWS's front end enforces, and the emulator must not be stricter than AWS either.
* ``ListGateways`` and ``ListVolumes`` return at most 100 items a page unless ``Limit`` says
  otherwise ("By default, the operation returns a maximum of up to 100"); a marker must be one
  this service issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from .exceptions import InvalidParameters

MAX_TAGS = 50
RESERVED_TAG_PREFIX = "aws:"
DEFAULT_PAGE_SIZE = 100
#: AWS's words when the gateway (or volume) type cannot do an operation, as seen on the wire
#: for file gateways (terraform-provider-aws issue #25917: InvalidGatewayRequestException,
#: errorCode NotSupported). The API reference only says "This operation is only supported in
#: the cached volume and stored volume gateway types".
NOT_SUPPORTED = "The specified operation is not supported"

T = TypeVar("T")


def invalid(parameter: str, problem: str) -> InvalidParameters:
    return InvalidParameters(f"Invalid {parameter}: {problem}", {"parameter": parameter})


def check_tag_key(key: str, parameter: str = "Tags") -> str:
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        raise invalid(parameter, f"tag key {key!r} uses the reserved prefix 'aws:'")
    return key


def tag_map(tags: list[dict[str, str]] | None, parameter: str = "Tags") -> dict[str, str]:
    """``[{"Key": k, "Value": v}, …]`` (already valid for the model) → ``{k: v}``."""
    if tags is None:
        return {}
    if len(tags) > MAX_TAGS:
        raise invalid(parameter, f"at most {MAX_TAGS} tags are allowed, got {len(tags)}")
    return {check_tag_key(tag["Key"], parameter): tag["Value"] for tag in tags}


def paginate(
    items: Sequence[T], marker: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the marker of the next one (``None`` on the last page).

    Markers are opaque to clients; ours is the index of the next item as text.
    """
    start = 0
    if marker is not None:
        if not marker.isdigit() or int(marker) > len(items):
            raise invalid("Marker", f"{marker!r} is not a marker this service returned")
        start = int(marker)
    end = min(len(items), start + (DEFAULT_PAGE_SIZE if limit is None else limit))
    return list(items[start:end]), (str(end) if end < len(items) else None)
