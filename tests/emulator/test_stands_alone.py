"""The emulator is a substitute for AWS: it never borrows the rules of the code it tests."""

from __future__ import annotations

import ast
from pathlib import Path

import sg_snapshot_provider.emulator as emulator


def test_the_emulator_imports_nothing_of_the_package() -> None:
    borrowed = []
    for source in Path(emulator.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            outside = [
                n
                for n in names
                if n.startswith("..")
                or (n.startswith("sg_snapshot_provider") and not n.startswith(emulator.__name__))
            ]
            borrowed += [f"{source.name}: {n}" for n in outside]
    assert borrowed == []
