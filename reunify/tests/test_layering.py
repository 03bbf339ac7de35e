"""The layers of Reunify's import graph, and the tests that keep them true.

Lowest first (README, "Where things live"):

- **kernel**: `accounts`, `audit`, `access` (rules only) and the package's own modules
  (`errors`, `transactions`, `triggers`, `security`, `paging`, `mail`, `settings`,
  `static_files`, `downloads`).
- **records**, in this order: `cases`; `safety`, `documents`, `psychoeducation`, `clinical`;
  `measures`; `disclosure`; `reports`. Each saves and reads its own records.
- **process**: `process.gates` and `process.ladder` are the rules (what stands between a case
  and its next phase or rung), read from the records' models only, so a record may ask them;
  `process.transitions` and `process.pausing` are the state changes and their consequences
  across records, which no record calls.
- **outward**: `messaging`, then `portal` and `workqueue`.
- **top**: the project's `api`, `urls`, `views`, `cli`, `demo`, `wsgi`.

A module imports from its own app or from below, counting imports inside functions but not the
names imported for annotations only, under `TYPE_CHECKING` (the kernel's
and the top's modules also from each other). An app's pages (views, API, forms, schemas, urls,
sections, template tags) may also call the process layer; its management commands are entry
points, like the command line, and may call anything. And the graph has no circles.

`python -m reunify.tests.test_layering` prints every edge that breaks a layer and every circle.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]

KERNEL = {"accounts", "audit", "access"} | {
    "errors", "transactions", "triggers", "security", "paging", "mail", "settings",
    "static_files", "downloads",
}  # fmt: skip
RANKS: dict[str, int] = {
    **dict.fromkeys(KERNEL, 0),
    "cases": 1,
    **dict.fromkeys(("safety", "documents", "psychoeducation", "clinical"), 2),
    "measures": 3,
    "disclosure": 4,
    "reports": 5,
    "process": 6,
    "messaging": 7,
    **dict.fromkeys(("portal", "workqueue"), 8),
    **dict.fromkeys(("api", "urls", "views", "cli", "demo", "wsgi", "gunicorn_conf"), 9),
}
PROCESS, TOP = RANKS["process"], RANKS["api"]
RULES = {"reunify.process.gates", "reunify.process.ladder"}
FACES = {"views", "api", "forms", "schemas", "urls", "sections", "admin"}
# The record services' writes whose content can pause a case: pages record them through
# `process.pausing`, which pauses in the same transaction.
PAUSING = {
    "reunify.safety.services": {"screening_record"},
    "reunify.clinical.services": {"contact_record", "note_write", "note_sign"},
    "reunify.clinical.services.visits": {"contact_record"},
    "reunify.clinical.services.notes": {"note_write", "note_sign"},
    "reunify.measures.services": {"checkin_record"},
    "reunify.cases.services": {"court_order_record", "court_order_amend", "court_order_supersede"},
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _is_test(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return "tests" in parts or "migrations" in parts or path.name == "conftest.py"


def modules() -> dict[str, Path]:
    """Every module of the package but its tests and migrations, by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if _is_test(path):
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        yield module
        yield from (f"{module}.{alias.name}" for alias in node.names)


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:`: names for annotations, not dependencies."""
    return {
        inner
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for statement in node.body  # not its `else:`, which runs
        for inner in ast.walk(statement)
    }


def edges() -> list[Edge]:
    """Each import of one of the package's modules by another (the package itself left out)."""
    known = modules()
    found = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        skipped = _type_only(tree)
        for node in ast.walk(tree):
            if node in skipped:
                continue
            targets = {t for t in _imported(node, package) if t in known}
            # `from package import module` depends on the module, not the package's docstring.
            targets -= {t for t in targets if any(o.startswith(t + ".") for o in targets)}
            for target in targets:
                if target not in (name, "reunify"):
                    found.append(Edge(name, target, node.lineno))  # type: ignore[attr-defined]
    return found


def app_of(module: str) -> str:
    return module.split(".")[1]


def is_face(module: str) -> bool:
    parts = module.split(".")
    return bool(set(parts[2:]) & (FACES | {"templatetags", "management"}))


def breaks_layer(edge: Edge) -> str:
    """Why this import breaks a layer, or "" when it does not."""
    source, target = app_of(edge.source), app_of(edge.target)
    rank, other = RANKS[source], RANKS[target]
    if source == target or rank == other in (0, TOP) or ".management." in edge.source:
        return ""
    if edge.source in RULES:
        return "" if other == 0 or edge.target.endswith(".models") else "the rules read models only"
    if is_face(edge.source):
        return "" if other <= max(rank, PROCESS) else "a page reaches above its own layer"
    if target == "process" and rank < PROCESS:
        return "" if edge.target in RULES else "a record calls the process layer"
    if other >= rank and not (source == "access" and edge.target == "reunify.cases.models"):
        return "an upward import"
    return ""


def circles(found: list[Edge]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in found:
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in list(graph):
        if node not in index:
            visit(node)
    return groups


def _bypasses_in(name: str, tree: ast.Module) -> list[str]:
    """Where this module reaches a record service's pausing write: a name imported from it, or
    an attribute of the service module, called or passed on."""
    aliases: dict[str, str] = {}  # local name -> the record service module or its function
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in PAUSING or alias.name in PAUSING.get(node.module, ()):
                    aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PAUSING and alias.asname:
                    aliases[alias.asname] = alias.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and aliases.get(node.id, "").rpartition(".")[2] in (
            PAUSING.get(aliases.get(node.id, "").rpartition(".")[0], ())
        ):
            found.append(f"{name}:{node.lineno} uses {aliases[node.id]}")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in PAUSING.get(aliases.get(node.value.id, ""), ())
        ):
            found.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def pausing_bypasses() -> list[str]:
    """Uses, outside the process layer and the record services, of a pausing write's record
    service version."""
    found = []
    for name, path in modules().items():
        if name.startswith("reunify.process") or name in PAUSING:
            continue
        found += _bypasses_in(name, ast.parse(path.read_text(), str(path)))
    return found


def test_every_app_has_a_layer() -> None:
    assert {app_of(m) for m in modules() if m != "reunify"} <= set(RANKS)


def test_no_module_imports_above_its_layer() -> None:
    broken = [f"{edge}: {why}" for edge in edges() if (why := breaks_layer(edge))]
    assert broken == []


def test_the_import_graph_has_no_circles() -> None:
    assert circles(edges()) == []


def test_pages_record_the_pausing_writes_through_the_process_layer() -> None:
    assert pausing_bypasses() == []


def test_the_checks_catch_what_they_are_for() -> None:
    """Each rule refuses the import it names (so a green run means something)."""
    assert breaks_layer(Edge("reunify.cases.services", "reunify.clinical.services", 1))
    assert breaks_layer(Edge("reunify.clinical.services", "reunify.process.transitions", 1))
    assert not breaks_layer(Edge("reunify.clinical.services", "reunify.process.gates", 1))
    assert breaks_layer(Edge("reunify.process.gates", "reunify.measures.selectors", 1))
    assert not breaks_layer(Edge("reunify.cases.views", "reunify.process.transitions", 1))
    assert breaks_layer(Edge("reunify.reports.api", "reunify.portal.api", 1))
    assert breaks_layer(Edge("reunify.access", "reunify.clinical.models", 1))
    loop = [Edge("reunify.a", "reunify.b", 1), Edge("reunify.b", "reunify.a", 1)]
    assert circles(loop) == [["reunify.a", "reunify.b"]]
    page = """
from reunify.clinical import services as clinical
from reunify.clinical.services.notes import note_sign as sign
from reunify.process import pausing
clinical.note_write(actor=a)
save = sign
pausing.note_write(actor=a)
clinical.note_hash(n)
"""
    assert sorted(use.split(" uses ")[1] for use in _bypasses_in("page", ast.parse(page))) == [
        "reunify.clinical.services.note_write",
        "reunify.clinical.services.notes.note_sign",
    ]


def report() -> int:
    """Print what breaks the layers; the number of problems (`make lint` fails on any)."""
    everything = edges()
    broken = [f"{edge}: {why}" for edge in everything if (why := breaks_layer(edge))]
    broken += pausing_bypasses()
    groups = circles(everything)
    for line in broken:
        print(line)
    print(f"{len(modules())} modules, {len(everything)} imports, {len(groups)} circles")
    for group in groups:
        print(f"  circle of {len(group)}: " + ", ".join(group))
    return len(broken) + len(groups)


if __name__ == "__main__":
    sys.exit(1 if report() else 0)
