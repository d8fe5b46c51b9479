#!/usr/bin/env bash
# Every benchmark under bench/, one after another (each prints its own table of ratios).
# The peers we compare against (edi-835-parser) are installed from their own lock file, so
# the product's environment never depends on them.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/uv pip install -q --python .venv/bin/python -r requirements-bench.lock \
  || echo "note: the benchmark peers could not be installed; their rows are skipped"
for b in bench/bench_*.py; do
  echo "== $b"
  .venv/bin/python "$b"
done
