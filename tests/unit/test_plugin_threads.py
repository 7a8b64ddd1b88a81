"""Widening the plugin's thread pool: only inside the plugin, once, and a warning (never an
error) when the plugin is not built as the verified releases are."""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi.dynamic
import pytest

from sg_snapshot_provider import plugin_threads


@pytest.fixture(autouse=True)
def not_yet_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugin_threads, "_done", False)


def test_outside_the_plugin_nothing_happens_and_nothing_is_said() -> None:
    said: list[str] = []
    assert plugin_threads.widen_plugin_thread_pool(warn=said.append) is False
    assert said == []


def test_a_plugin_built_otherwise_gets_one_warning_and_keeps_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plugin_threads, "_running_in_plugin", lambda: True)
    said: list[str] = []
    assert plugin_threads.widen_plugin_thread_pool(warn=said.append) is False
    assert plugin_threads.widen_plugin_thread_pool(warn=said.append) is True  # once only
    assert len(said) == 1
    assert "main() frame was not found" in said[0]
    assert "4 threads" in said[0]


def test_the_installed_plugin_is_built_as_plugin_threads_expects() -> None:
    """The guard for a new ``pulumi``: it runs on every release the version matrix installs
    (``make test-matrix``), where a plugin built otherwise fails here, not in a deployment."""
    source = Path(pulumi.dynamic.__file__).with_name("__main__.py").read_text()
    main = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name == "main"
    )
    server = next(
        node
        for node in ast.walk(main)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "server" for t in node.targets)
    )
    text = ast.unparse(server)
    assert "grpc.server(futures.ThreadPoolExecutor(max_workers=4)" in text
    assert "maximum_concurrent_rpcs" not in text
