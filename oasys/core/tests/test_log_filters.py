"""Search terms in query strings never reach a log line: not the access log of the demo's
server, not a warning that quotes a URL."""

from __future__ import annotations

import logging

from django.conf import settings
from django.test import Client

from oasys.core.log_filters import RedactQueryStrings, query_strings_redact


def test_query_strings_are_redacted_wherever_they_appear():
    line = '"GET /billing/clients/?q=Maria+Lopez&page=2 HTTP/1.1" 200 512'
    assert query_strings_redact(line) == '"GET /billing/clients/?[redacted] HTTP/1.1" 200 512'
    assert query_strings_redact("no url here?") == "no url here?"
    assert "W123456789" not in query_strings_redact(
        "fetched http://x.test/api/v1/clients?member_id=W123456789 twice")


def test_the_filter_rewrites_the_record_with_its_arguments():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1,
                               '"%s" %s', ("GET /sessions/?client=Lopez HTTP/1.1", 200), None)
    assert RedactQueryStrings().filter(record)
    assert record.getMessage() == '"GET /sessions/?[redacted] HTTP/1.1" 200'


def test_every_configured_handler_redacts(db):
    """Every handler the settings configure carries the filter (a handler added later without
    it would leak), checked on the live logging configuration."""
    configured = settings.LOGGING["handlers"]
    assert configured
    for name in configured:
        live = logging._handlers[name]  # noqa: SLF001 - the registry dictConfig fills
        assert any(isinstance(f, RedactQueryStrings) for f in live.filters), name
    server = logging.getLogger("django.server")
    assert logging._handlers["console"] in server.handlers  # noqa: SLF001 - (pytest adds its own)
    Client().get("/login/?q=Maria+Lopez")  # a real request goes through without error
