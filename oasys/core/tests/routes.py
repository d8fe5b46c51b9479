"""Every route, for tests that walk them all: the API's as (method, "path/{param}") pairs and
the screens' URL patterns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from oasys.api import api


def api_routes() -> Iterator[tuple[str, str]]:
    for prefix, router in api._routers:  # noqa: SLF001 - ninja keeps its routers here
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                full = (prefix.rstrip("/") + "/" + path.lstrip("/")).strip("/")
                for method in op.methods:
                    yield method, full


def url_routes() -> Iterator[tuple[str, URLPattern]]:
    """Every screen's URL pattern as ("route/<int:pk>/", pattern), the API and static files
    aside (the API is walked through api_routes)."""

    def walk(entries, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry

    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith(("api/v1/", "static/")):
            yield route, pattern


def api_operations() -> Iterator[tuple[str, str, Any]]:
    """(method, "path/{param}", ninja operation) for every API operation."""
    for prefix, router in api._routers:  # noqa: SLF001 - ninja keeps its routers here
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                full = (prefix.rstrip("/") + "/" + path.lstrip("/")).strip("/")
                for method in op.methods:
                    yield method, full, op
