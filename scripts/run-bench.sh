#!/usr/bin/env bash
# Every benchmark under bench/, one after another (each prints its own table of ratios).
# The peers we compare against (edi-835-parser) are installed from their own lock file, so
# the product's environment never depends on them.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/uv pip install -q --python .venv/bin/python -r requirements-bench.lock \
  || echo "note: the benchmark peers could not be installed; their rows are skipped"
# The auto-billing night needs a Redis broker (PostgreSQL comes from pg-throwaway.sh).
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
    || echo "note: redis-server could not be installed; bench_autobilling.py will say so"
fi
# Modest sizes by default so `make bench` ends in minutes; the README's figures came from
#   BENCH_AUTOBILLING_ARGS="--practices 10 100 --items 100" make bench
BENCH_AUTOBILLING_ARGS=${BENCH_AUTOBILLING_ARGS:---practices 2 10 --items 20}
for b in bench/bench_*.py; do
  echo "== $b"
  case "$b" in
    bench/bench_autobilling.py)
      # shellcheck disable=SC2086 - the flags are meant to split
      .venv/bin/python "$b" $BENCH_AUTOBILLING_ARGS ;;
    *) .venv/bin/python "$b" ;;
  esac
done
