"""How the `oasys` apps import each other: function-level imports and two-way app pairs.

Usage: python scripts/import_report.py [--list] [--root DIR]

Reads every .py file under oasys/ with the stdlib `ast` (nothing is imported, so it runs on a
broken tree too) and prints:

- function-level imports: every `import` / `from ... import` inside a function body, in total
  and the ones that reach another app (`oasys.<app>` other than the importer's own app). The
  ones marked `# noqa: PLC0415` are the documented exceptions (see [tool.importlinter] in
  pyproject.toml and ARCHITECTURE.md); they are counted separately.
- app pairs that import each other both ways, counting module-level and function-level
  imports (and, separately, module-level only: the graph import-linter sees).

An "app" is the first package under oasys/ (oasys/claims/... -> claims); modules directly in
oasys/ (settings, urls, api, cli, celery, wsgi) are the project, reported as "(project)"; it
sits above every app, so it is left out of the pair count. `--list` prints every cross-app
function-level import with file:line.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PROJECT = "(project)"


@dataclass(frozen=True)
class Edge:
    path: str
    line: int
    src_app: str
    dst_app: str
    target: str
    function_level: bool
    excepted: bool


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "oasys":
        return None
    if len(parts) == 1:
        return PROJECT
    return parts[1] if _is_package_name(parts[1]) else PROJECT


_PACKAGES: set[str] = set()


def _is_package_name(name: str) -> bool:
    return name in _PACKAGES


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    if node.module:
        base = [*base, *node.module.split(".")]
    return ".".join(base)


def targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = resolve(node, module, is_package)
    # `from oasys import claims` names a package: count the submodule as the target.
    if base == "oasys":
        return [f"oasys.{alias.name}" for alias in node.names]
    return [base]


def walk_imports(tree: ast.AST):
    """Yield (node, inside_function) for every import statement."""

    def visit(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, True)
            else:
                yield from visit(child, in_function)

    yield from visit(tree, False)


def is_test_path(path: str) -> bool:
    parts = Path(path).parts
    return "tests" in parts or Path(path).name == "conftest.py"


def collect(root: Path) -> tuple[list[Edge], list[tuple[str, bool]]]:
    """Cross-app edges, and every function-level import as (path, marked with noqa)."""
    oasys_dir = root / "oasys"
    _PACKAGES.clear()
    _PACKAGES.update(p.name for p in oasys_dir.iterdir() if (p / "__init__.py").exists())
    edges: list[Edge] = []
    function_level: list[tuple[str, bool]] = []
    for path in sorted(oasys_dir.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, filename=str(path))
        module = module_name(root, path)
        is_package = path.name == "__init__.py"
        src_app = app_of(module)
        rel = str(path.relative_to(root))
        for node, in_function in walk_imports(tree):
            text = "\n".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])
            excepted = "PLC0415" in text
            if in_function:
                function_level.append((rel, excepted))
            for target in targets(node, module, is_package):
                dst_app = app_of(target)
                if dst_app is None or dst_app == src_app:
                    continue
                edges.append(
                    Edge(
                        path=rel,
                        line=node.lineno,
                        src_app=src_app,
                        dst_app=dst_app,
                        target=target,
                        function_level=in_function,
                        excepted=excepted,
                    )
                )
    return edges, function_level


def two_way_pairs(edges: list[Edge], *, module_level_only: bool) -> list[tuple[str, str]]:
    deps: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        if module_level_only and e.function_level:
            continue
        if PROJECT in (e.src_app, e.dst_app):
            continue
        deps[e.src_app].add(e.dst_app)
    pairs = set()
    for a, bs in deps.items():
        for b in bs:
            if a in deps.get(b, ()):
                pairs.add(tuple(sorted((a, b))))
    return sorted(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--list", action="store_true", help="list cross-app function imports")
    args = parser.parse_args(argv)
    root = Path(args.root)
    all_edges, all_fn = collect(root)

    rows: list[tuple[str, int, int | None]] = []
    for label, keep in (("", lambda p: not is_test_path(p)), (" (tests too)", lambda p: True)):
        edges = [e for e in all_edges if keep(e.path)]
        fn = [(p, ex) for p, ex in all_fn if keep(p)]
        # Across apps: one app's module importing another app's (the project modules, which
        # mount every app, do not count). One statement can name several apps: count statements.
        across = {(e.path, e.line): e.excepted for e in edges
                  if e.function_level and PROJECT not in (e.src_app, e.dst_app)}
        rows += [
            (f"function-level imports in oasys/{label}", len(fn), sum(ex for _, ex in fn)),
            ("  of which reach another app", len(across), sum(across.values())),
            ("app pairs importing each other both ways",
             len(two_way_pairs(edges, module_level_only=False)), None),
        ]
    prod = [e for e in all_edges if not is_test_path(e.path)]
    both = two_way_pairs(prod, module_level_only=False)

    width = max(len(r[0]) for r in rows)
    print(f"{'oasys/ (migrations excluded)':<{width}}  {'count':>5}  {'noqa PLC0415':>12}")
    for label, count, excepted in rows:
        ex = "" if excepted is None else str(excepted)
        print(f"{label:<{width}}  {count:>5}  {ex:>12}")
    if both:
        print("\ntwo-way app pairs (tests excluded), with the importing lines:")
        for a, b in both:
            for x, y in ((a, b), (b, a)):
                sites = sorted({f"{e.path}:{e.line}" for e in prod
                                if (e.src_app, e.dst_app) == (x, y)})
                print(f"  {x} -> {y} ({len(sites)}): {', '.join(sites[:4])}"
                      f"{' ...' if len(sites) > 4 else ''}")
    if args.list:
        print("\ncross-app function-level imports:")
        for e in sorted((e for e in all_edges if e.function_level), key=lambda e: (e.path, e.line)):
            mark = "  [noqa]" if e.excepted else ""
            print(f"  {e.path}:{e.line}  {e.src_app} -> {e.target}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
