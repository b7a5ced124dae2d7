"""The layers hold: services never import tasks (a task is queued by its name through
ipnb_notes.outbox), and no two modules of the project's apps import each other, directly or
round a longer loop, when they load (module-level imports). Read from the source with ast, so
a function-level import of a tasks module is caught too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "audit",
    "clients",
    "dashboards",
    "disclosures",
    "ipnb_notes",
    "measures",
    "sessions",
)


def sources(root: Path, apps: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the apps under `root`, by dotted name."""
    modules = {}
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = sources(ROOT, APPS)


def _resolve(modules: dict[str, Path], module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = modules[module].name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _with_parents(name: str, importer: str) -> list[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first: each is a dependency, except
    the importer's own packages, which Python has loaded before the importer."""
    parts = name.split(".")
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 1)}
    return [
        ".".join(parts[:i])
        for i in range(1, len(parts) + 1)
        if i == len(parts) or ".".join(parts[:i]) not in own
    ]


def imports(
    modules: dict[str, Path], module: str, *, module_level_only: bool
) -> set[str]:
    """The project modules `module` imports (only those it loads at import time when
    `module_level_only`), each with the packages that importing it runs."""
    tree = ast.parse(modules[module].read_text(), filename=str(modules[module]))
    # At module level, `if TYPE_CHECKING:` blocks never run; other `if` and `try` blocks do.
    nodes = list(_module_level(tree.body) if module_level_only else ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(modules, module, node)
            # `from audit import services` imports the submodule audit.services.
            names = [base] + [
                f"{base}.{alias.name}"
                for alias in node.names
                if f"{base}.{alias.name}" in modules
            ]
        else:
            continue
        for name in names:
            found.update(p for p in _with_parents(name, module) if p in modules)
    found.discard(module)
    return found


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.If | ast.Try):
            yield from _module_level(node.body)
            yield from _module_level(node.orelse)
            for handler in getattr(node, "handlers", []):
                yield from _module_level(handler.body)
            yield from _module_level(getattr(node, "finalbody", []))
        else:
            yield node


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_tasks(module: str) -> bool:
    return "tasks" in module.split(".")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _describe(component: list[str], graph: dict[str, set[str]]) -> str:
    members = set(component)
    edges = [f"  {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return "\n".join([", ".join(component), *edges])


def tasks_imported_outside_tasks(modules: dict[str, Path]) -> dict[str, list[str]]:
    """Each module that is not a tasks module, with the tasks modules it imports anywhere."""
    found = {}
    for module in sorted(m for m in modules if not _is_tasks(m)):
        tasks = imports(modules, module, module_level_only=False)
        if tasks := sorted(m for m in tasks if _is_tasks(m)):
            found[module] = tasks
    return found


def import_cycles(modules: dict[str, Path]) -> list[str]:
    graph = {m: imports(modules, m, module_level_only=True) for m in modules}
    return [_describe(component, graph) for component in _cycles(graph)]


def test_the_app_modules_are_found():
    assert len(MODULES) > 100
    assert {"accounts.services", "audit.tasks", "ipnb_notes.outbox"} <= set(MODULES)


def test_only_a_tasks_module_imports_a_tasks_module():
    found = tasks_imported_outside_tasks(MODULES)
    assert found == {}, (
        'queue a task by its name instead: outbox.enqueue("app.tasks.name", id)\n'
        + "\n".join(f"{m} imports {', '.join(t)}" for m, t in found.items())
    )


def test_no_import_cycle_between_the_apps_modules():
    cycles = import_cycles(MODULES)
    assert cycles == [], "import cycles (module-level imports):\n" + "\n".join(cycles)


def _tree(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sources(root, ("shop",))


def test_the_checks_catch_what_they_guard_against(tmp_path):
    """A services module that imports its tasks inside a function (the loop the outbox's
    by-name form ends), and a three-module cycle written with a relative import, a
    `from package import module` and a plain import; a package that re-exports its modules,
    a TYPE_CHECKING import and a function-level import are no cycle."""
    modules = _tree(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/services.py": "def send():\n    from shop.tasks import send\n",
            "shop/tasks.py": "from shop import services\n",
            "shop/a.py": "from . import b\n",
            "shop/b.py": "from shop.c import thing\n",
            "shop/c.py": "import shop.a\nthing = 1\n",
            "shop/kit/__init__.py": "from shop.kit.parts import part\n",
            "shop/kit/parts.py": "from shop.kit.common import base\npart = base\n",
            "shop/kit/common.py": "base = 1\n",
            "shop/typed.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from shop import hinted\n"
            ),
            "shop/hinted.py": "from shop import typed\n",
            "shop/late.py": "def f():\n    from shop import early\n",
            "shop/early.py": "from shop import late\n",
        },
    )

    assert tasks_imported_outside_tasks(modules) == {"shop.services": ["shop.tasks"]}
    assert [c.splitlines()[0] for c in import_cycles(modules)] == [
        "shop.a, shop.b, shop.c"
    ]


def test_the_cycle_finder_sees_a_two_module_cycle_and_a_longer_one():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert _cycles({"a": {"b"}, "b": set()}) == []


FEATURES = {"sessions": ("notes", "capture", "scheduling")}
FEATURE_FILES = ("models.py", "forms.py", "urls.py")


def stray_feature_modules(
    root: Path, features: dict[str, tuple[str, ...]]
) -> list[str]:
    """What breaks the split of an app into feature packages: a suffix file (`forms_x.py`,
    `urls_x.py`), a layer package at the app's top (`views/`, `services/`, `models/`) or a
    feature package without its files."""
    found = []
    for app, packages in features.items():
        for path in sorted((root / app).iterdir()):
            stem = path.stem.split("_")
            if (
                path.suffix == ".py"
                and len(stem) > 1
                and stem[0] in {"forms", "urls", "views"}
            ):
                found.append(f"{app}/{path.name}: belongs in a feature package")
            if path.is_dir() and path.name in {"views", "services", "models", "forms"}:
                found.append(f"{app}/{path.name}/: belongs in a feature package")
        for package in packages:
            for name in (*FEATURE_FILES, "services", "views"):
                base = root / app / package
                if not (base / name).exists() and not (base / f"{name}.py").exists():
                    found.append(f"{app}/{package}/ has no {name}")
    return found


def private_names_imported(modules: dict[str, Path]) -> list[str]:
    """`from x import _name` between modules: a private name is private to its module."""
    found = []
    for module, path in sorted(modules.items()):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] in APPS
            ):
                found += [
                    f"{module} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    return found


def test_sessions_is_split_by_feature():
    assert stray_feature_modules(ROOT, FEATURES) == []


def test_no_module_imports_another_modules_private_names():
    assert private_names_imported(MODULES) == []


def test_the_shape_checks_catch_what_they_guard_against(tmp_path):
    _tree(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/forms_orders.py": "",
            "shop/services/__init__.py": "",
            "shop/orders/models.py": "",
            "shop/orders/forms.py": "",
            "shop/orders/urls.py": "",
            "shop/orders/services.py": "",
            "shop/orders/views.py": "",
            "shop/cart/models.py": "",
        },
    )
    found = stray_feature_modules(tmp_path, {"shop": ("orders", "cart")})
    assert "shop/forms_orders.py: belongs in a feature package" in found
    assert "shop/services/: belongs in a feature package" in found
    assert "shop/cart/ has no forms.py" in found
    assert not [f for f in found if f.startswith("shop/orders/")]
    modules = {
        "accounts.a": tmp_path / "a.py",
        "accounts.b": tmp_path / "b.py",
    }
    modules["accounts.a"].write_text("from accounts.b import _secret, public\n")
    modules["accounts.b"].write_text("_secret = public = 1\n")
    assert private_names_imported(modules) == ["accounts.a imports accounts.b._secret"]


def test_access_imports_models_only():
    """ipnb_notes/access.py decides who may see what from the models alone: it imports no
    service, view or read module of the apps, at any level (a loop with them is how rules
    end up spread over the services)."""
    tree = ast.parse(MODULES["ipnb_notes.access"].read_text())
    project = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[0] in APPS
    ]
    # ipnb_notes.clock (the current moment, standing in while a query is baked) and
    # ipnb_notes.batch (reads in one round trip, querysets built once per shape) import
    # nothing of the project but each other.
    assert project and all(
        m.endswith(".models") or m == "ipnb_notes" for m in project
    ), project
    assert [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "ipnb_notes"
        for alias in node.names
    ] == ["batch", "clock"]
