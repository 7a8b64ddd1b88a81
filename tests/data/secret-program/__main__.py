"""Secrets in every input: see ``tests.reliability.programs.secret_everywhere``."""

from tests.reliability.programs import secret_everywhere

secret_everywhere()
