"""Plain inputs under the stack's default tags: see ``tests.reliability.programs.plain_tags``."""

from tests.reliability.programs import plain_tags

plain_tags()
