"""Toy resources in a chain: see ``sg_snapshot_harness.toy_programs.chain``."""

from sg_snapshot_harness.toy_programs import chain

chain()
