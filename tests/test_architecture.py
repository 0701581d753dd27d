"""The import graph of recur_django: arrows point one way (issue 10, item 4).

Every module is parsed (never imported); only module-level imports count, those under
``if TYPE_CHECKING:`` do not. A function-level import is not an arrow at import time,
and the ones left say why they are lazy.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import recur_django

PACKAGE_DIR = Path(recur_django.__file__).resolve().parent
MAX_LINES = 400

#: What the emulator may load from the rest of recur_django at import time (transitively,
#: parent packages included): the Django-free client and helpers that read no settings.
EMULATOR_MAY_IMPORT = (
    "recur_django",  # the package root: only __version__
    "recur_django.client",  # and its submodules: the Django-free API client
    "recur_django.read_only_admin",  # the read-only ModelAdmin rule (Django only)
    "recur_django.webhooks",  # the package only, for ...
    "recur_django.webhooks.signature",  # ... the webhook signature both sides compute
    "recur_django.exceptions",  # which raises SignatureError from here (no project imports)
    # The ECPay-compatible e-invoice endpoint: the wire codec the backend uses too, the tax
    # rules (periods, void deadline, 5 % split) and the format validators.
    "recur_django.einvoice",  # the package only (it imports nothing)
    "recur_django.einvoice.backends",  # the package only
    "recur_django.einvoice.backends.ecpay_wire",
    "recur_django.einvoice.rules",
    "recur_django.einvoice.validators",
)

#: The e-invoice modules a provider backend is written and tested with, and the emulator
#: loads: no Django (like the client).
EINVOICE_DJANGO_FREE = (
    "recur_django.einvoice.errors",
    "recur_django.einvoice.rules",
    "recur_django.einvoice.backends.base",
    "recur_django.einvoice.backends.http",
    "recur_django.einvoice.backends.ecpay_wire",
    "recur_django.einvoice.backends.ezpay_wire",
)

#: Services: no arrow from them to the HTTP layers.
SERVICES = (
    "recur_django.checkout",
    "recur_django.portal",
    "recur_django.subscriptions",
    "recur_django.payment_links",
    "recur_django.entitlements",
)
HTTP_LAYERS = ("recur_django.views", "recur_django.admin", "recur_django.api")


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: set[str] = field(default_factory=set)  # every absolute name imported


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _module_level_imports(body: Iterable[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: not in functions, classes' methods or
    ``if TYPE_CHECKING:`` blocks (their ``else:`` does run)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _module_level_imports(block)
            for handler in node.handlers:
                yield from _module_level_imports(handler.body)
        elif isinstance(node, ast.ClassDef):
            yield from _module_level_imports(node.body)


def _imported_names(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.name.split(".")
        if not module.is_package:
            parts.pop()
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    # "from a import b" imports a, and a.b when b is a submodule.
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _load() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "migrations" in path.relative_to(PACKAGE_DIR).parts:
            continue
        name, is_package = _module_name(path)
        module = Module(name, path, is_package)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _module_level_imports(tree.body):
            module.imports.update(_imported_names(module, node))
        modules[name] = module
    return modules


MODULES = _load()


def _internal(name: str) -> str | None:
    """The recur_django module ``name`` refers to (a name inside one resolves to it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges(name: str) -> set[str]:
    targets = {_internal(imported) for imported in MODULES[name].imports}
    return {target for target in targets if target and target != name}


def _parents(name: str) -> Iterator[str]:
    while "." in name:
        name = name.rpartition(".")[0]
        yield name


def _reachable(start: Iterable[str]) -> set[str]:
    """Every module loaded by importing ``start`` (parent packages' ``__init__`` too)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += _edges(name)
        todo += [parent for parent in _parents(name) if parent in MODULES]
    return seen


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for target in _edges(name):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(MODULES):
        if name not in index:
            visit(name)
    return found


# --- the graph is read as intended -----------------------------------------------------


def test_the_graph_sees_every_module_and_skips_type_checking_imports():
    assert "recur_django.entitlements" in MODULES and "recur_django.emulator.admin" in MODULES
    assert not any(".migrations" in name for name in MODULES)
    # The guards have one home (views.guards), which imports entitlements, never back.
    assert "recur_django.views.guards" not in _edges("recur_django.entitlements")
    assert "recur_django.entitlements" in _edges("recur_django.views.guards")


def test_a_cycle_would_be_found(monkeypatch):
    conf = MODULES["recur_django.conf"]
    # clock imports conf; a back arrow from conf closes a circle.
    monkeypatch.setattr(conf, "imports", {*conf.imports, "recur_django.clock"})
    assert ["recur_django.clock", "recur_django.conf"] in _cycles()


# --- (a) no cycle ----------------------------------------------------------------------


def test_no_import_cycle():
    assert _cycles() == []


# --- (b) the client stands alone -------------------------------------------------------


def test_client_imports_nothing_from_django_or_the_rest_of_recur_django():
    client = [name for name in MODULES if _within(name, ["recur_django.client"])]
    assert len(client) > 3
    for name in client:
        for imported in MODULES[name].imports:
            assert not _within(imported, ["django"]), f"{name} imports {imported}"
            if _within(imported, ["recur_django"]) and not _within(
                imported, ["recur_django.client"]
            ):
                # "from recur_django import __version__" (the root imports nothing)
                assert imported in {"recur_django", "recur_django.__version__"}, name
    assert _edges("recur_django") == set()  # the package root imports nothing of ours


def test_the_einvoice_backend_interface_imports_nothing_from_django():
    loaded = _reachable(EINVOICE_DJANGO_FREE)
    assert set(EINVOICE_DJANGO_FREE) <= loaded
    for name in loaded:
        for imported in MODULES[name].imports:
            assert not _within(imported, ["django"]), f"{name} imports {imported}"


# --- (c) the emulator is layered on the client only -----------------------------------


def test_emulator_loads_only_the_client_and_settings_free_helpers():
    emulator = [name for name in MODULES if _within(name, ["recur_django.emulator"])]
    loaded = _reachable(emulator)
    outside = {name for name in loaded if not _within(name, ["recur_django.emulator"])}
    allowed = {
        name
        for name in outside
        if name in EMULATOR_MAY_IMPORT or _within(name, ["recur_django.client"])
    }
    assert outside - allowed == set()


# --- (d) small modules -----------------------------------------------------------------


def test_no_module_over_400_lines():
    too_long = {}
    for module in MODULES.values():
        lines = len(module.path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[module.path.relative_to(PACKAGE_DIR.parent).as_posix()] = lines
    assert too_long == {}


# --- (e) services do not reach the HTTP layers ----------------------------------------


def test_services_load_no_views_admin_or_api():
    services = [name for name in MODULES if _within(name, SERVICES)]
    assert len(services) >= len(SERVICES)
    for service in services:
        http = sorted(name for name in _reachable([service]) if _within(name, HTTP_LAYERS))
        assert http == [], f"{service} loads {http}"


# --- lazy imports say why ------------------------------------------------------------------


def _function_level_imports() -> Iterator[tuple[Module, int, list[str]]]:
    for module in MODULES.values():
        lines = module.path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield module, node.lineno, lines


def test_every_function_level_import_gives_its_reason():
    """A lazy import breaks a real cycle, waits for the app registry or avoids an optional
    dependency, and the comment just above it (or its group) says so with "Lazy"."""
    silent = []
    for module, lineno, lines in _function_level_imports():
        above = lineno - 2
        comment = []
        while above >= 0 and lines[above].strip().startswith(("#", "from ", "import ")):
            comment.append(lines[above])
            above -= 1
        if not any("Lazy" in line for line in comment if line.strip().startswith("#")):
            silent.append(f"{module.path.relative_to(PACKAGE_DIR.parent)}:{lineno}")
    assert silent == []
