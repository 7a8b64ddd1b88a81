"""Toy resources in a chain: see ``tests.harness.toy_programs.chain``."""

from tests.harness.toy_programs import chain

chain()
