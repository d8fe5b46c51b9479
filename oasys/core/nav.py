"""Coming back where you were: a `next` path carried by a link (`?next=/billing/sessions/?…`)
and honoured by the screen it opens once its form is saved.

Only a path on this site is followed (never another host, never `//evil.example`), so a
crafted link cannot send a person elsewhere. A form without an `action` posts back to its own
URL, query string included, so `next` survives the POST without a hidden field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def next_path(request: HttpRequest) -> str:
    """The request's safe `next` path (POST first, then the query string), else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        return ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return ""
    return target


def redirect_next(request: HttpRequest, to: str, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
    """Back to `next` when the link that opened this screen gave one, else to `to`."""
    return HttpResponseRedirect(next_path(request) or resolve_url(to, *args, **kwargs))


def url_with_next(url: str, next_url: str) -> str:
    """`url` that brings the person back to `next_url` once they have fixed something."""
    if not next_url:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'next': next_url})}"
