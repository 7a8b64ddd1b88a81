"""The type tokens that state and ``pulumi stack export`` name the package's resources by:
``pulumi-python:dynamic/`` (the dynamic-provider plugin's package), then the ``module:name``
each resource class gives ``pulumi.dynamic.Resource`` (``resources/``). A resource's URN holds
its token, so a token never changes. Imports nothing: every layer may use it (the ``orphans``
command reads exports with it, the engine harness and the tests build states with it).
"""

from __future__ import annotations

from typing import Final

#: Every type token of this package starts with this.
TYPE_PREFIX: Final = "pulumi-python:dynamic/storagegateway:"
#: ``StorageGatewaySnapshot``.
SNAPSHOT_TYPE: Final = f"{TYPE_PREFIX}Snapshot"
#: ``SnapshotSeries``.
SERIES_TYPE: Final = f"{TYPE_PREFIX}SnapshotSeries"
#: ``VolumeSnapshotSchedule``.
SCHEDULE_TYPE: Final = f"{TYPE_PREFIX}SnapshotSchedule"
