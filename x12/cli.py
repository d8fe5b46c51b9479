"""Command line: ``python -m x12 parse FILE`` and ``python -m x12 check FILE``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from x12.parse import parse_file


def _parse(path: str) -> int:
    result = parse_file(path)
    try:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        return 0
    return 0


def _check(path: str) -> int:
    result = parse_file(path)
    problems = [e.describe() for e in result.errors]
    problems += [b.message for b in result.balance_errors()]
    for line in problems:
        print(line)
    if not problems:
        count = sum(len(t) for _, t in result.interchanges)
        print(f"OK: {len(result.interchanges)} interchange(s), {count} transaction set(s)")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m x12", description="X12 5010 tools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="print the file as one JSON document")
    p.add_argument("file")
    c = sub.add_parser("check", help="exit 0 when well-formed and balanced, else 1")
    c.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "parse":
        return _parse(args.file)
    return _check(args.file)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
