"""The policies against the code, read statically: every AWS operation the package and the
examples can call (a boto3 client method, a paginator or a waiter, in botocore's models of EC2,
Storage Gateway and STS) is granted by the matching policy, and the policy grants nothing else.

The lifecycle scenarios (``tests/engine/test_iam_policies.py``) check what the code *does*
call; this checks what it *can* call, so a call no scenario reaches still fails here. A client
method called on a receiver whose service cannot be told (not an annotated client parameter,
not a client made by a known factory) fails too, rather than being skipped.
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "sg_snapshot_provider"
SERVICES = ("ec2", "storagegateway", "sts", "kms")
#: Client types of the boto3 stubs, and the package's client factories, by service.
CLIENT_TYPES = {"EC2Client": "ec2", "StorageGatewayClient": "storagegateway"}
FACTORIES = {"ec2_client": "ec2", "storagegateway_client": "storagegateway", "kms_client": "kms"}
#: Parameters typed ``Any`` (no boto3 stubs for the service, or the acceptance lane's loosely
#: typed helpers) named after their client.
CLIENT_PARAMETERS = {"kms": "kms", "ec2": "ec2", "storagegateway": "storagegateway"}
#: Factories whose first argument names the service (``Target.client("ec2")`` is the
#: acceptance lane's).
NAMED_FACTORIES = frozenset(
    {"_cached_client", "_client", "program_client", "_new_client", "client"}
)
#: The acceptance lane: its script, and the package of its checks, sweep and schedule guard.
ACCEPTANCE_LANE = (
    REPO_ROOT / "scripts" / "acceptance.py",
    REPO_ROOT / "sg_snapshot_harness" / "acceptance",
)
#: AWS answers it whatever the policies say (and the code calls it only for
#: aws:allowedAccountIds/aws:forbiddenAccountIds): no policy needs to grant it.
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})


@functools.cache
def operations() -> dict[str, set[str]]:
    """boto3 method name → ``service:Operation`` of every service it names."""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        for operation in session.get_service_model(service).operation_names:
            found.setdefault(xform_name(operation), set()).add(f"{service}:{operation}")
    return found


def waiter_operation(service: str, waiter: str) -> str:
    session = botocore.session.get_session()
    model = session.get_waiter_model(service)
    for name in model.waiter_names:
        if xform_name(name) == waiter:
            return f"{service}:{model.get_waiter(name).operation}"
    raise AssertionError(f"{service} has no waiter {waiter}")


@dataclass
class Function:
    """One function: the AWS operations it calls itself, and the package's functions it
    names, each as ``(module, name)``."""

    where: str
    calls: set[str] = field(default_factory=set)
    names: set[tuple[str, str]] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)


def _service_of_call(node: ast.expr) -> str | None:
    """The service of a client made by ``node`` (``ec2_client(…)``, ``_client("sts", …)``)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in FACTORIES:
        return FACTORIES[name]
    if name in NAMED_FACTORIES and node.args and isinstance(node.args[0], ast.Constant):
        service = node.args[0].value
        return service if service in SERVICES else None
    return None


def _clients(
    function: ast.FunctionDef | ast.AsyncFunctionDef, attributes: dict[str, str]
) -> dict[str, str]:
    """The function's names bound to clients: annotated parameters, factory results, and the
    module's attributes set to clients (``self.ec2 = target.client("ec2")``)."""
    found: dict[str, str] = dict(attributes)
    for argument in [*function.args.args, *function.args.kwonlyargs]:
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        for type_name, service in CLIENT_TYPES.items():
            if type_name in annotation:
                found[argument.arg] = service
        if argument.arg in CLIENT_PARAMETERS:
            found[argument.arg] = CLIENT_PARAMETERS[argument.arg]
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, made = node.targets[0], _service_of_call(node.value)
            if isinstance(target, ast.Name) and made is not None:
                found[target.id] = made
    return found


class Module:
    """One source file: its functions, and where each name it imports comes from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = module_name(path)
        self.tree = ast.parse(path.read_text())
        self.defined = {
            node.name
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        #: ``self.x`` → service, for the attributes any method of the module sets to a client.
        self.attribute_clients: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, made = node.targets[0], _service_of_call(node.value)
                if isinstance(target, ast.Attribute) and made is not None:
                    self.attribute_clients[ast.unparse(target)] = made
        #: name → (module, name there); a module imported whole maps to (module, "").
        self.imports: dict[str, tuple[str, str]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                base = _absolute(self.name, node.module or "", node.level, path)
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (alias.name, "")

    def reference(self, name: str) -> tuple[str, str] | None:
        if name in self.defined:
            return (self.name, name)
        return self.imports.get(name)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(current: str, module: str, level: int, path: Path) -> str:
    if level == 0:
        return module
    package = current.split(".") if path.name == "__init__.py" else current.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _read(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    where: str,
    module: Module,
    enclosing: dict[str, str],
) -> Function:
    """``enclosing``: the clients of the functions it is nested in (a closure's)."""
    result = Function(where)
    clients = _clients(function, {**module.attribute_clients, **enclosing})
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and (found := module.reference(node.id)) is not None:
            result.names.add(found)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get_paginator", "get_waiter")
            and node.args
        ):
            _paginator_or_waiter(node, clients, where, result)
        if not isinstance(node, ast.Attribute):
            continue
        imported = module.imports.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if imported is not None:  # aws.delete_snapshot: a function of an imported module
            result.names.add((".".join(filter(None, imported)), node.attr))
            continue
        if node.attr not in operations():
            continue
        receiver = ast.unparse(node.value)
        service = clients.get(receiver) or _service_of_call(node.value)
        matching = {op for op in operations()[node.attr] if op.split(":")[0] == service}
        if not matching:
            result.unknown.append(f"{where}: {receiver}.{node.attr}")
        result.calls.update(matching)
    return result


def _paginator_or_waiter(
    node: ast.Call, clients: dict[str, str], where: str, result: Function
) -> None:
    assert isinstance(node.func, ast.Attribute)
    service = clients.get(ast.unparse(node.func.value)) or _service_of_call(node.func.value)
    name = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
    if service is None or not isinstance(name, str):
        result.unknown.append(f"{where}: {ast.unparse(node)}")
    elif node.func.attr == "get_waiter":
        result.calls.add(waiter_operation(service, name))
    else:
        result.calls.update(op for op in operations()[name] if op.startswith(service))


def functions(paths: list[Path]) -> dict[tuple[str, str], Function]:
    """Every top-level function of these files, by (module, name)."""
    found: dict[tuple[str, str], Function] = {}
    for path in paths:
        module = Module(path)
        for node, enclosing in _functions_in(module.tree, {}):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name}"
                read = _read(node, where, module, enclosing)
                key = (module.name, node.name)
                if key in found:  # a method or a nested function of the same name: merge
                    found[key].calls |= read.calls
                    found[key].names |= read.names
                    found[key].unknown += read.unknown
                else:
                    found[key] = read
    return found


Defined = ast.FunctionDef | ast.AsyncFunctionDef


def _functions_in(
    node: ast.AST, enclosing: dict[str, str]
) -> Iterator[tuple[Defined, dict[str, str]]]:
    """Every function under ``node``, with the clients its enclosing functions bind."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield child, enclosing
            yield from _functions_in(child, {**enclosing, **_clients(child, {})})
        else:
            yield from _functions_in(child, enclosing)


def modules() -> dict[str, Module]:
    return {module.name: module for module in map(Module, sources())}


def resolve(reference: tuple[str, str], index: dict[str, Module]) -> tuple[str, str] | None:
    """Follow re-exports (``aws/__init__`` imports ``delete_snapshot`` from ``aws.ec2``…)."""
    for _ in range(10):
        module_name_, name = reference
        module = index.get(module_name_)
        if module is None:
            return None
        if name in module.defined:
            return reference
        imported = module.imports.get(name)
        if imported is None:
            return None
        reference = imported
    return None


def sources() -> list[Path]:
    package = [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.relative_to(PACKAGE).parts]
    return package + sorted((REPO_ROOT / "examples").rglob("*.py"))


def reachable(
    entry: list[tuple[str, str]], index: dict[tuple[str, str], Function]
) -> Iterator[Function]:
    """The functions of ``entry`` and every function of the package they name, transitively
    (methods and nested functions count as their module-level namesakes)."""
    by_module = modules()
    seen: set[tuple[str, str]] = set()
    todo = list(entry)
    while todo:
        reference = resolve(todo.pop(), by_module)
        if reference is None or reference in seen or reference not in index:
            continue
        seen.add(reference)
        function = index[reference]
        yield function
        todo.extend(function.names)


def policy_actions(name: str) -> set[str]:
    document: dict[str, Any] = json.loads((REPO_ROOT / "iam" / f"{name}.json").read_text())
    found: set[str] = set()
    for statement in document["Statement"]:
        assert "NotAction" not in statement, f"iam/{name}.json: NotAction grants too much"
        actions = statement["Action"]
        listed = [actions] if isinstance(actions, str) else actions
        assert not any("*" in a or "?" in a for a in listed), f"iam/{name}.json: a wildcard"
        if statement["Effect"] == "Allow":
            found.update(listed)
    return found


def test_every_client_call_has_a_known_service() -> None:
    unknown = [u for f in functions(sources()).values() for u in f.unknown]
    assert unknown == []


def test_the_provider_policy_grants_every_operation_the_code_can_call_and_no_other() -> None:
    callable_ = {c for f in functions(sources()).values() for c in f.calls}
    assert "ec2:DescribeSnapshots" in callable_  # the reading works at all
    assert callable_ - NEEDS_NO_PERMISSION - policy_actions("provider") == set()
    assert policy_actions("provider") - callable_ == set()


def test_the_orphans_policy_grants_what_the_orphans_command_can_call_and_no_other() -> None:
    index = functions(sources())
    entry = [
        key
        for key in index
        if key[0] in ("sg_snapshot_provider.orphans", "sg_snapshot_provider.__main__")
    ]
    assert entry
    callable_ = {c for f in reachable(entry, index) for c in f.calls} - NEEDS_NO_PERMISSION
    # DescribeLockedSnapshots: a delete refused by a lock says until when.
    expected = {"ec2:DescribeSnapshots", "ec2:DeleteSnapshot", "ec2:DescribeLockedSnapshots"}
    assert callable_ == policy_actions("orphans") == expected


def acceptance_sources() -> list[Path]:
    script, package = ACCEPTANCE_LANE
    return [script, *sorted(package.rglob("*.py"))]


def test_the_acceptance_lane_calls_are_all_read() -> None:
    """Every client call of the lane has a known service (an unknown one would be skipped),
    and the reading finds the lane's own calls at all."""
    read = functions(acceptance_sources())
    assert [u for f in read.values() for u in f.unknown] == []
    own = {c for f in read.values() for c in f.calls}
    assert {
        "storagegateway:ListVolumeRecoveryPoints",
        "storagegateway:DescribeCachediSCSIVolumes",
        "ec2:DescribeLockedSnapshots",
        "ec2:DeleteSnapshot",
        "sts:GetCallerIdentity",
    } <= own


def test_the_acceptance_policy_is_the_provider_policy_plus_the_lane_of_its_own() -> None:
    """The lane runs the providers (``provider.json``), and calls of its own: who it is, the
    volume's size (the plan's cost), its recovery points, the sweep of earlier runs' snapshots
    (which reads their locks), the schedule guard."""
    own = {c for f in functions(acceptance_sources()).values() for c in f.calls}
    assert own - policy_actions("acceptance") == set()
    lane = {
        "sts:GetCallerIdentity",
        "ec2:DescribeSnapshots",
        "ec2:DeleteSnapshot",
        "storagegateway:ListVolumeRecoveryPoints",
        "storagegateway:DescribeCachediSCSIVolumes",
    }
    assert policy_actions("acceptance") == policy_actions("provider") | lane
    assert policy_actions("acceptance") - policy_actions("provider") <= own


def test_the_adopt_policy_adds_only_tagging() -> None:
    assert policy_actions("provider-adopt") == {"ec2:CreateTags", "ec2:DeleteTags"}
