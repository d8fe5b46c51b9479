"""Shared helper: validate X12 text with pyx12 4.0.0 through its Python API."""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12n_document

_PARAM = pyx12.params.params()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.records.append(record.getMessage())


def pyx12_errors(text: str, map_path: str | None = None) -> list[str]:
    """Return pyx12's error messages for ``text`` ([] means pyx12 accepts it).

    ``map_path`` points pyx12 at another map folder (see ``pyx12_276_map.map_dir``)."""
    logger = logging.getLogger("pyx12")
    cap = _Capture()
    logger.addHandler(cap)
    old = logger.level
    logger.setLevel(logging.ERROR)
    fd, path = tempfile.mkstemp(suffix=".x12")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        out_json = io.StringIO()
        try:
            ok = pyx12.x12n_document.x12n_document(
                param=_PARAM, src_file=path, fd_997=None, fd_html=None, fd_json=out_json,
                map_path=map_path)
        except pyx12.errors.EngineError as exc:  # e.g. no map for this GS08
            return [f"pyx12 engine error: {exc}"]
    finally:
        os.unlink(path)
        logger.removeHandler(cap)
        logger.setLevel(old)
    errors = list(cap.records)
    raw = out_json.getvalue()
    if raw.strip():
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = raw
        errors += _flatten(doc)
    if not ok and not errors:
        errors.append("pyx12 reported the document invalid")
    return errors


def _flatten(doc: object) -> list[str]:
    out: list[str] = []
    if isinstance(doc, dict):
        if "msg" in doc or "err_cde" in doc or "code" in doc:
            out.append(json.dumps(doc, default=str))
        for v in doc.values():
            if isinstance(v, list | dict):
                out += _flatten(v)
    elif isinstance(doc, list):
        for v in doc:
            out += _flatten(v)
    return out


def assert_pyx12_valid(text: str) -> None:
    errs = pyx12_errors(text)
    assert not errs, "pyx12 rejected the document:\n" + "\n".join(errs[:20]) + "\n" + text[:3000]
