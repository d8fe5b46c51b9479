"""The API's routes as (method, "path/{param}") pairs, for tests that walk every route."""

from __future__ import annotations

from collections.abc import Iterator

from oasys.api import api


def api_routes() -> Iterator[tuple[str, str]]:
    for prefix, router in api._routers:  # noqa: SLF001 - ninja keeps its routers here
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                full = (prefix.rstrip("/") + "/" + path.lstrip("/")).strip("/")
                for method in op.methods:
                    yield method, full
