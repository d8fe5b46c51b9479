"""Logging filters. Query strings carry what people typed into search boxes (client names,
member IDs): PHI that must not reach any log. Every handler redacts them."""

from __future__ import annotations

import logging
import re

# A path followed by a query string, as request lines and URLs appear in log messages.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def query_strings_redact(text: str) -> str:
    """`GET /billing/clients/?q=Smith HTTP/1.1` -> `GET /billing/clients/?[redacted] HTTP/1.1`"""
    return _QUERY.sub(r"\1?[redacted]", text)


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = query_strings_redact(message), ()
        return True
