"""Benchmark: one night of auto-billing at scale, the way production runs it (issue 13).

The script starts everything itself, on free ports, in a temporary folder: a throwaway
PostgreSQL cluster (scripts/pg-throwaway.sh), a Redis broker (`redis-server`, installed with
apt-get when missing), the clearinghouse simulator and the Stripe stand-in as processes, and
W Celery workers (`celery -A bench._autobilling_worker worker -c 1`: Oasys's own app and
tasks, plus the task signals that measure them). It seeds P practices with I Ready items each,
all with auto-billing on (backfill all) at the same cutoff:

    claims        insured, completed, signed sessions (a Ready claim, as the billing
                  factories build one)                                      ~50%
    invoices      cash-pay sessions; one in three of the clients has a card on file with
                  autopay consent (made on the stand-in through the payments port, as the
                  demo seed does)                                          ~30%
    client share  ERA client shares: sessions billed and answered by an 835 leaving the
                  $20 copay (era_import), not invoiced yet                  ~20%

Only the parts with no side effects are bulk-created (clients, diagnoses, policies,
sessions); claims, ERAs, accounts and cards go through the services. Nothing is marked Ready
by hand: the run's own selection (the readiness rules) decides, and the bench checks that
every run took its P x I items and billed them all.

Then it triggers the schedule's tick (billing_runs_due_start with `now` past the cutoff),
which queues one run per practice on Redis, and waits until every run is done and the
queue is drained (the deliveries and transmissions the runs queued included).

Reported, per size: the night's wall time, items per second, time per item (wall), database
queries per item, worker CPU per item, and the stand-ins' side: the seconds the workers
spent waiting on them (their adapters' calls, timed in the workers) and their own CPU (from
/proc), and PostgreSQL's CPU. Queries are counted by a Django execute_wrapper on each
worker task's connection (bench/_autobilling_worker.py): every query the workers run, the
tick's too. The point is the ratio between the sizes: time and queries per item flat.

    .venv/bin/python bench/bench_autobilling.py [--practices 10 100] [--items 100]
        [--workers 2] [--profile]
`make bench` passes $BENCH_AUTOBILLING_ARGS (default: --practices 2 10 --items 20).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.stripe.testing import API_KEY, standin_process  # noqa: E402

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
SEED_PROCS = 2  # seeding processes for the big sizes (one per core here)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practices", type=int, nargs="+", default=[10, 100],
                        help="practices per size (one night per size)")
    parser.add_argument("--items", type=int, default=100, help="Ready items per practice")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (-c 1 each)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the first worker over the last size; print the top")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int, *, children: bool = True) -> float:
    """utime + stime of a process (and its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICK


def _tree_cpu(root: int) -> float:
    """CPU of a process, its reaped children and its live children (PostgreSQL's backends;
    a Celery worker's pool child)."""
    total = _cpu_seconds(root)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == root:
            total += _cpu_seconds(int(stat.parent.name))
    return total


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("redis-server is missing: apt-get install redis-server")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def _process(argv: list[str], log: Path, env: dict | None = None,
             **kw) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                            env=env, cwd=ROOT, start_new_session=True, **kw)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _postgres():
    out = subprocess.run(["bash", str(ROOT / "scripts/pg-throwaway.sh"), "start"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines()
               if line.startswith("export "))
    try:
        pid = int(Path(env["PGTMP"], "data", "postmaster.pid").read_text().split()[0])
        yield env["DATABASE_URL"], pid
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/pg-throwaway.sh"), "stop", env["PGTMP"]],
                       check=False)


@contextlib.contextmanager
def _clearinghouse(tmp: Path):
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.clearinghouse", "--port", "0",
                             "--db", str(tmp / "clearinghouse.sqlite3")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=open(tmp / "ch.log", "w"),  # noqa: SIM115
                            text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on" not in line:
            raise SystemExit(f"the clearinghouse simulator did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip(), proc.pid
    finally:
        _stop(proc)


def main() -> None:
    args = _args()
    with tempfile.TemporaryDirectory(prefix="oasys-bench-autobilling-") as name, \
            contextlib.ExitStack() as stack:
        tmp = Path(name)
        database_url, pg_pid = stack.enter_context(_postgres())
        redis_port = _free_port()
        redis = _process([_redis_server(), "--port", str(redis_port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                         tmp / "redis.log")
        stack.callback(_stop, redis)
        standin = stack.enter_context(standin_process(tmp))
        ch_url, ch_pid = stack.enter_context(_clearinghouse(tmp))
        stripe_pid = _standin_pid(standin.base_url)
        env = {**os.environ, "DATABASE_URL": database_url, "OASYS_VAR_DIR": str(tmp),
               "DJANGO_SETTINGS_MODULE": "oasys.settings", "DEBUG": "false",
               "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
               "CLEARINGHOUSE_ADAPTER": "stedi", "CLEARINGHOUSE_BASE_URL": ch_url,
               "CLEARINGHOUSE_API_KEY": "test-key", "PAYMENTS_ADAPTER": "stripe",
               "STRIPE_API_BASE": standin.base_url, "STRIPE_SECRET_KEY": API_KEY,
               "STRIPE_MAX_NETWORK_RETRIES": "0", "LOG_LEVEL": "WARNING",
               "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
               "BENCH_STATS_DIR": str(tmp)}
        os.environ.update(env)
        import django  # noqa: PLC0415 - the environment above must be set first

        django.setup()
        night = Night(tmp=tmp, env=env, standin=standin, pids={
            "postgres": pg_pid, "stripe": stripe_pid, "clearinghouse": ch_pid},
            redis_port=redis_port, workers=args.workers)
        rows = []
        for i, practices in enumerate(args.practices):
            profile = args.profile and i == len(args.practices) - 1
            try:
                rows.append(night.measure(practices=practices, items=args.items,
                                          profile=tmp / "worker.prof" if profile else None))
                if i < len(args.practices) - 1:  # each size as it is measured: a night is long
                    report(rows[-1:], profile=None, workers=args.workers)
                    sys.stdout.flush()
            except SystemExit:
                if rows:  # the sizes measured before this one's failure still count
                    report(rows, profile=None, workers=args.workers)
                raise
        report(rows, profile=tmp / "worker.prof" if args.profile else None,
               workers=args.workers)


def _standin_pid(base_url: str) -> int:
    """The stand-in's process: our child running sandbox.stripe (never another one's)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = Path(stat.parent, "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if ppid == os.getpid() and b"sandbox.stripe" in argv:
            return int(stat.parent.name)
    raise SystemExit(f"the Stripe stand-in at {base_url} was not found")


class Night:
    """One database for all sizes: each size seeds its own practices, and its night bills
    only them (the practices of an earlier size have nothing Ready left)."""

    def __init__(self, *, tmp: Path, env: dict, standin, pids: dict[str, int],
                 redis_port: int, workers: int) -> None:
        from django.core.management import call_command  # noqa: PLC0415

        self.tmp, self.env, self.standin, self.pids = tmp, env, standin, pids
        self.redis_port, self.workers = redis_port, workers
        self.seeded = 0  # practices so far
        self.day = 0  # nights so far: each night's tick is a day later
        call_command("migrate", verbosity=0)

    # --- seeding -----------------------------------------------------------------------------
    def seed(self, practices: int, items: int) -> list[int]:
        """Seed the size's practices: in this process for a few, else in SEED_PROCS
        processes side by side (a thousand practices take half an hour in one)."""
        from bench._autobilling_seed import practice_seed, seed_shared  # noqa: PLC0415
        from oasys.celery import app as celery_app  # noqa: PLC0415
        from oasys.core.models import Practice  # noqa: PLC0415

        first, self.seeded = self.seeded, self.seeded + practices
        seed_shared()
        if practices < 4 * SEED_PROCS:
            celery_app.conf.task_always_eager = True  # the seed's own kicks run inline
            try:
                return [practice_seed(n=first + p, items=items,
                                      stripe_base=self.standin.base_url)
                        for p in range(practices)]
            finally:
                celery_app.conf.task_always_eager = False
        share = -(-practices // SEED_PROCS)
        procs = []
        for k in range(SEED_PROCS):
            start, count = first + k * share, min(share, practices - k * share)
            code = ("import django; django.setup(); "
                    "from bench._autobilling_seed import practices_seed_range; "
                    f"practices_seed_range(first={start}, count={count}, items={items}, "
                    f"stripe_base={self.standin.base_url!r})")
            procs.append(_process([sys.executable, "-c", code],
                                  self.tmp / f"seed{k}.log", env=self.env))
        for k, proc in enumerate(procs):
            if proc.wait() != 0:
                raise SystemExit(f"seeding process {k} failed: see {self.tmp}/seed{k}.log")
        slugs = [f"bench-{first + p}" for p in range(practices)]
        return list(Practice.objects.filter(slug__in=slugs).values_list("pk", flat=True))

    # --- the night ---------------------------------------------------------------------------
    def measure(self, *, practices: int, items: int, profile: Path | None) -> dict:
        import redis  # noqa: PLC0415
        from django.db import connection  # noqa: PLC0415
        from django.utils import timezone  # noqa: PLC0415

        from oasys.autobilling.models import BillingRun, BillingRunItem, RunPhase  # noqa: PLC0415
        from oasys.autobilling.services import billing_runs_due_start  # noqa: PLC0415

        started = time.perf_counter()
        ids = self.seed(practices, items)
        seed_seconds = time.perf_counter() - started
        for stats in self.tmp.glob("worker-*.jsonl"):
            stats.unlink()
        workers = [self._worker(w, profile=profile if w == 0 else None)
                   for w in range(self.workers)]
        try:
            self._await_workers()
            cpu_before = {k: _tree_cpu(pid) for k, pid in self.pids.items()}
            workers_before = sum(_tree_cpu(w.pid) for w in workers)
            self.day += 1
            # past every cutoff (0:00 local, the seed's setting), a day later per night
            now = timezone.now() + dt.timedelta(days=self.day, hours=1)
            tick_queries = _Count()
            started = time.perf_counter()
            with connection.execute_wrapper(tick_queries):
                runs = billing_runs_due_start(now=now)
            tick_seconds = time.perf_counter() - started
            run_ids = [r.pk for r in runs if r.practice_id in ids]
            if len(run_ids) != practices:
                raise SystemExit(f"the tick started {len(run_ids)} runs for {practices}")
            broker = redis.Redis(port=self.redis_port)
            while BillingRun.objects.filter(pk__in=run_ids).exclude(
                    phase=RunPhase.DONE).exists():
                self._check(workers)
                time.sleep(0.2)
            runs_done = time.perf_counter() - started
            while broker.llen("celery") or broker.hlen("unacked"):
                self._check(workers)
                time.sleep(0.2)
            drained = time.perf_counter() - started
            cpu = {k: _tree_cpu(pid) - cpu_before[k] for k, pid in self.pids.items()}
            cpu["workers"] = sum(_tree_cpu(w.pid) for w in workers) - workers_before
        finally:
            for w in workers:
                _stop(w)
        from bench._autobilling_seed import practices_rest  # noqa: PLC0415

        practices_rest(ids=ids)
        made = BillingRunItem.objects.filter(run_id__in=run_ids)
        kinds = Counter(made.values_list("kind", flat=True))
        outcomes = Counter(made.values_list("outcome", flat=True))
        n = practices * items
        if sum(kinds.values()) != n or outcomes.get("billed", 0) != n:
            raise SystemExit(f"{practices} x {items}: items {dict(kinds)}, "
                             f"outcomes {dict(outcomes)} (expected {n} billed)")
        tasks = [json.loads(line) for f in self.tmp.glob("worker-*.jsonl")
                 for line in f.read_text().splitlines()]
        keep = ROOT / "var" / f"bench-autobilling-{n}.jsonl"  # per task, to look at after
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text("".join(json.dumps(t) + "\n" for t in tasks))
        return {"practices": practices, "items": n, "kinds": kinds, "seed": seed_seconds,
                "tick": tick_seconds, "runs_done": runs_done, "wall": drained, "cpu": cpu,
                "tasks": tasks, "tick_queries": tick_queries.count}

    def _worker(self, w: int, *, profile: Path | None) -> subprocess.Popen:
        env = {**self.env, "BENCH_PROFILE": str(profile) if profile else ""}
        return _process([str(Path(sys.executable)), "-m", "celery", "-A",
                         "bench._autobilling_worker", "worker", "-c", "1", "-n",
                         f"bench{w}@%h", "--without-gossip", "--without-mingle",
                         "--without-heartbeat", "-l", "WARNING"],
                        self.tmp / f"worker{w}.log", env=env)

    def _await_workers(self) -> None:
        from oasys.celery import app as celery_app  # noqa: PLC0415

        for _ in range(120):
            if len(celery_app.control.ping(timeout=1.0)) >= self.workers:
                return
        raise SystemExit(f"the workers did not start: see {self.tmp}/worker0.log")

    def _check(self, workers: list[subprocess.Popen]) -> None:
        for w in workers:
            if w.poll() is not None:
                raise SystemExit(f"a worker exited ({w.returncode}): see {self.tmp}")


class _Count:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def report(rows: list[dict], *, profile: Path | None, workers: int) -> None:
    print(f"\nOne night of auto-billing: PostgreSQL, Redis, {workers} Celery workers (-c 1), "
          "the clearinghouse simulator and the Stripe stand-in as processes, "
          f"{os.cpu_count()} CPUs:")
    print("| practices x items | items | night (s) | items / s | ms / item | queries / item "
          "| worker CPU ms / item | PG CPU ms / item | stand-ins: wait ms / item | "
          "stand-ins CPU ms / item |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    figures = []
    for r in rows:
        n, tasks = r["items"], r["tasks"]
        queries = sum(t["queries"] for t in tasks) + r["tick_queries"]
        wait = sum(t["stripe_seconds"] + t["ch_seconds"] for t in tasks)
        stand_cpu = r["cpu"]["stripe"] + r["cpu"]["clearinghouse"]
        per = {"ms": r["wall"] / n * 1000, "q": queries / n}
        figures.append(per)
        print(f"| {r['practices']:,} x {n // r['practices']} | {n:,} | {r['wall']:.1f} | "
              f"{n / r['wall']:.1f} | {per['ms']:.1f} | {per['q']:.1f} | "
              f"{r['cpu']['workers'] / n * 1000:.1f} | {r['cpu']['postgres'] / n * 1000:.1f} | "
              f"{wait / n * 1000:.1f} | {stand_cpu / n * 1000:.1f} |")
    for r in rows:
        n, tasks = r["items"], r["tasks"]
        by_task: Counter = Counter(t["task"] for t in tasks)
        busy = sum(t["wall"] for t in tasks)
        stripe = sum(t["stripe_seconds"] for t in tasks)
        ch = sum(t["ch_seconds"] for t in tasks)
        calls_s, calls_c = (sum(t["stripe_calls"] for t in tasks),
                            sum(t["ch_calls"] for t in tasks))
        tables: Counter = Counter()
        for t in tasks:
            tables.update(t["tables"])
        db = sum(t["db_seconds"] for t in tasks)
        print(f"\n{n:,} items ({', '.join(f'{k} {v:,}' for k, v in sorted(r['kinds'].items()))}"
              f"): seeded in {r['seed']:.0f} s; tick {r['tick']:.1f} s; runs done at "
              f"{r['runs_done']:.1f} s, queue drained at {r['wall']:.1f} s.")
        print(f"  tasks: {', '.join(f'{k} {v:,}' for k, v in by_task.most_common())}; "
              f"worker busy {busy:.1f} s of which in the database {db:.1f} s, waiting on "
              f"Stripe {stripe:.1f} s ({calls_s:,} calls, "
              f"{calls_s / stripe if stripe else 0:.0f} calls/s, "
              f"{stripe / calls_s * 1000 if calls_s else 0:.0f} ms each), on the "
              f"clearinghouse {ch:.1f} s ({calls_c:,} calls, "
              f"{ch / calls_c * 1000 if calls_c else 0:.0f} ms each).")
        oasys_only = busy - stripe - ch
        print(f"  Oasys's own side (busy minus stand-in waits) {oasys_only / n * 1000:.1f} ms "
              f"per worker-item; CPU: workers {r['cpu']['workers']:.1f} s, PostgreSQL "
              f"{r['cpu']['postgres']:.1f} s, Stripe stand-in {r['cpu']['stripe']:.1f} s, "
              f"simulator {r['cpu']['clearinghouse']:.1f} s.")
        print("  queries per item by table: " + ", ".join(
            f"{t} {c / n:.1f}" for t, c in tables.most_common(12)))
    if len(rows) >= 2:
        a, b = figures[0], figures[-1]
        n1, n2 = rows[0]["items"], rows[-1]["items"]
        print(f"\nAt {n2:,} vs {n1:,} items: time per item {b['ms'] / a['ms']:.2f}x, "
              f"queries per item {b['q'] / a['q']:.3f}x.")
    if profile is not None and profile.exists():
        import pstats  # noqa: PLC0415

        n = rows[-1]["items"]
        print(f"\ncProfile of worker 0 over the {n:,}-item night (cumulative, top 25):")
        pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(25)
        keep = Path(os.environ.get("BENCH_PROFILE_KEEP", ROOT / "var" / "bench-worker.prof"))
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(profile, keep)
        print(f"(kept in {keep})")


if __name__ == "__main__":
    main()
