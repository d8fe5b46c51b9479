"""How long the Bill Sessions POST takes to answer while the clearinghouse answers slowly.

Everything runs as real processes on loopback: the clearinghouse simulator, made slow with its
fault controls (`/_sandbox/faults`: every claim submission answered SLOW seconds late), and
`oasys runserver` on a fresh, migrated SQLite file (or a temporary PostgreSQL database when
DATABASE_URL names a PostgreSQL server). A biller logs in and bills N Ready sessions; we time
the POST, check that no claim reached the clearinghouse yet (the answer did not wait for it),
then run the outbox worker (`oasys clearinghouse sweep`) and count the claims the simulator
then holds.

    .venv/bin/python bench/bench_bill_post.py [--sessions 10] [--slow 10]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oasys.clearinghouse.tests.processes import (  # noqa: E402
    SUBMIT_PATH,
    Harness,
    process_database,
    process_env,
    web_server,
)

PASSWORD = "crash test password 1"


class Sim:
    api_key = "bench-key"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def claims(self) -> list[dict]:
        return self.http.get("/_sandbox/claims").json()["items"]


def start_sim(tmp: Path) -> tuple[subprocess.Popen, Sim]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.clearinghouse", "--port", "0", "--db",
         str(tmp / "sim.sqlite3")], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={"SANDBOX_CLEARINGHOUSE_API_KEY": Sim.api_key, "PATH": "/usr/bin:/bin"})
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return proc, Sim(line.rsplit(" ", 1)[1].strip())


def csrf(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--slow", type=float, default=10.0,
                        help="seconds the simulator takes to answer each claim submission")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sim_proc, sim = start_sim(tmp)
        try:
            with process_database(tmp) as url:
                env = process_env(database_url=url, sim=sim, var_dir=tmp,
                                  CLEARINGHOUSE_QUEUED_GRACE_SECONDS="0")
                harness = Harness(env, tmp)
                ids = harness.run("seed", "--sessions", str(args.sessions + 1),
                                  "--password", PASSWORD)["sessions"]
                warm_up, ids = ids[:1], ids[1:]
                sim.http.post("/_sandbox/faults", json={
                    "kind": "timeout", "seconds": args.slow, "path": SUBMIT_PATH,
                    "count": 1000}).raise_for_status()
                with web_server(env, tmp / "web.log") as base, httpx.Client(
                        base_url=base, timeout=120) as web:
                    login = web.get("/login/")
                    web.post("/login/", data={"username": "biller@crash.example",
                                              "password": PASSWORD,
                                              "csrfmiddlewaretoken": csrf(login.text)},
                             headers={"Referer": base + "/login/"})
                    page = web.get("/billing/sessions/")
                    assert page.status_code == 200, page.status_code
                    token = csrf(page.text)
                    # one session billed first: the server is warm, as in production
                    started = time.perf_counter()
                    web.post("/billing/sessions/submit/",
                             data={"session": [str(i) for i in warm_up],
                                   "csrfmiddlewaretoken": token},
                             headers={"Referer": base + "/billing/sessions/"})
                    cold = time.perf_counter() - started
                    started = time.perf_counter()
                    resp = web.post("/billing/sessions/submit/",
                                    data={"session": [str(i) for i in ids],
                                          "csrfmiddlewaretoken": token},
                                    headers={"Referer": base + "/billing/sessions/"})
                    answered = time.perf_counter() - started
                    at_answer = len(sim.claims())
                    shown = web.get("/billing/sessions/").text
                    assert resp.status_code == 302, resp.status_code
                sending = shown.count("Being sent")
                started = time.perf_counter()
                swept = subprocess.run(
                    [sys.executable, "-m", "oasys.cli", "clearinghouse", "sweep"], cwd=ROOT,
                    env=env, capture_output=True, text=True, timeout=600)
                sent_after = time.perf_counter() - started
                after = len(sim.claims())
        finally:
            sim_proc.terminate()
            sim_proc.wait(timeout=10)
    print(f"Bill Sessions POST of {args.sessions} Ready sessions, the clearinghouse answering "
          f"{args.slow:g} s late")
    print(f"  POST answered in           {answered:.3f} s (a warm server: one POST before)")
    print(f"  the first POST of the server process (cold, 1 session): {cold:.3f} s")
    print(f"  claims at the clearinghouse when it answered: {at_answer}")
    print(f"  page then shows 'Being sent' {sending} time(s)")
    print(f"  worker (oasys clearinghouse sweep) sent them in {sent_after:.1f} s: "
          f"{swept.stdout.strip()}")
    print(f"  claims at the clearinghouse afterwards: {after} ({args.sessions} + the first 1)")


if __name__ == "__main__":
    main()
