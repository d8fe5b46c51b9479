"""Every answer carries the security headers: a Content-Security-Policy that allows scripts
only from our own files (no inline script, no eval) and forbids framing, and a
Permissions-Policy that turns off the browser features Oasys never uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", ["/login/", "/billing/sessions/", "/api/v1/openapi.json"])
def test_pages_and_the_api_carry_the_headers(owner_client, path):
    resp = owner_client.get(path)
    csp = _directives(resp.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    policy = resp.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_no_template_has_an_inline_script_or_handler():
    """What the policy would block: <script> without src, on…= handlers, htmx's js: values."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
                r"\son[a-z]+\s*=", text) or "js:" in text or "javascript:" in text:
            found.append(str(path.relative_to(TEMPLATES)))
    assert found == []
