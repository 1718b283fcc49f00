"""Load test (issue 9): Gongjian under gunicorn with 4 workers, beside its floor, with faults.

    .venv/bin/python bench/load.py                     # PostgreSQL and SQLite, 60 s phases
    .venv/bin/python bench/load.py --db postgres --duration 30 --clients 48
    options: --db postgres|sqlite|both  --duration S  --clients N  --rounds N  --no-fault
             --no-floor  --stack

For each database it seeds a district (2 streets' worth: 12 units, 60 venues open 06:00–24:00
every day, 3,000 residents with API tokens), starts the production set-up of the README
(`flask db upgrade`, gunicorn -c deploy/gunicorn.conf.py with 4 workers, one scheduler, Redis for
the rate limits, which are switched off so the load is measured rather than refused) and runs:

1. **mixed**: N client threads (in 4 processes) for the duration — residents browsing venues
   (25%), reading a week of availability (25%), booking (25%; 30% of those aim at 5 popular
   slots), cancelling one of their own bookings (5%) and phones polling their personal ICS feed
   with If-None-Match (20%). Prints requests/s, p50/p95/p99 per operation (bookings also
   split: popular slots, other) and errors.
2. **booking**: only bookings, the same generator, on Gongjian (`POST /api/v1/bookings`) and
   on the floor (bench/floor_app.py: hand-written SQL on the raw driver, the same gunicorn
   settings, the same database emptied of bookings before each turn), in alternating rounds
   that share the duration, so a shared machine's changing speed falls on both alike: prints
   each round's throughputs and ratio, then both in all and the ratio of the totals.
3. **stack** (with --stack): the same booking-only turns between the floor and its own statements
   run through Gongjian's stack (bench/stack_floor.py: Gongjian's app, every request hook,
   Flask-SQLAlchemy's session; no rules, audit or notices): how much of the gap to the floor
   is the stack's, and what is left for the product's rules.
4. **fault** (unless --no-fault): the mixed load again while one gunicorn worker is killed with
   SIGKILL and (PostgreSQL only) PostgreSQL is restarted; prints the same figures, the 5xx seen
   outside and during the restart, and whether the app served again without help.

After every phase it checks the database: no two active (pending/confirmed) bookings overlap at
any venue, and every booking a client was answered 201 for exists.

Targets: booking throughput ≥ 0.4× the floor's on each database; p95 booking latency < 100 ms
on PostgreSQL; no 5xx other than during PostgreSQL's own restart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("LOAD_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/gj_load")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKERS = 4
PROCESSES = 4
MIX = [("browse", 25), ("availability", 25), ("book", 25), ("cancel", 5), ("ics", 20)]
HOT_SLOTS = 5
# Where the clients of the booking-only turns book: Gongjian's API, the floor, the floor's
# statements on Gongjian's stack (--stack). The mixed and fault runs book through the API.
BOOKING_PATHS = {"booking": "/api/v1/bookings", "floor": "/book", "stack": "/book"}
SIDES = {"booking": "Gongjian", "floor": "floor", "stack": "stack floor"}
SECRET_KEY = "load-test-" + "0" * 40


# -- the district ---------------------------------------------------------------------------


def seed(url: str, *, residents: int = 3000, units: int = 12, venues_per_unit: int = 5) -> dict:
    """A fresh schema by the migrations and a district to load; returns what clients need."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from gongjian import create_app
    from gongjian.accounts import services as accounts
    from gongjian.accounts.models import UnitType, User
    from gongjian.accounts.tokens import issue_token_for
    from gongjian.extensions import db
    from gongjian.feeds.services import user_feed_token
    from gongjian.venues.services import Window, create_venue, set_opening_hours

    # The servers' secret key: personal feed URLs are signed with it.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    now = datetime.now(UTC)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        street = accounts.create_street(name="负载街道")
        communities = [accounts.create_community(name=f"负载社区{i}", street=street)
                       for i in range(4)]
        fast = generate_password_hash("load-test-password", method="pbkdf2:sha256:1000")
        admin = User(email="admin@load.test", name="管理员", password_hash=fast, is_admin=True,
                     created_at=now)
        db.session.add(admin)
        venue_ids = []
        for u in range(units):
            unit = accounts.create_unit(name=f"负载单位{u}", type=UnitType.SCHOOL,
                                        community=communities[u % 4], address="负载路1号")
            for v in range(venues_per_unit):
                venue = create_venue(unit=unit, actor=admin, now=now, name=f"场地{u}-{v}",
                                     kind="sports", capacity=50)
                set_opening_hours(venue=venue, actor=admin, now=now, windows=[
                    Window(day, 360, 1440, date(2026, 1, 1)) for day in range(7)])
                venue_ids.append(venue.id)
        people = [User(email=f"r{i}@load.test", name=f"居民{i}", password_hash=fast,
                       community=communities[i % 4], created_at=now) for i in range(residents)]
        db.session.add_all(people)
        db.session.flush()
        tokens = [issue_token_for(user=person, now=now)[1] for person in people]
        feeds = [f"/feeds/me/{user_feed_token(person)}.ics" for person in people]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "feeds": feeds, "venues": venue_ids}


def empty_bookings(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("notifications", "audit_events", "bookings"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    engine.dispose()


def check_database(url: str, acknowledged: list[int]) -> dict:
    """Overlapping active bookings at one venue, and 201s whose booking is missing."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        overlaps = conn.scalar(sa.text(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.venue_id = b.venue_id "
            "AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at "
            "WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')"))
        existing: set[int] = set()
        ids = sorted(set(acknowledged))
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            existing.update(conn.scalars(sa.select(sa.column("id")).select_from(
                sa.table("bookings")).where(sa.column("id").in_(chunk))))
        total = conn.scalar(sa.text("SELECT count(*) FROM bookings"))
    engine.dispose()
    return {"overlaps": overlaps, "acknowledged": len(ids), "lost": len(set(ids) - existing),
            "rows": total}


# -- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with deploy/gunicorn.conf.py (4 workers) on a free port, plus a scheduler."""

    def __init__(self, url: str, app: str, *, scheduler: bool, log_dir: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "GONGJIAN_ENV": "production",
                    "GONGJIAN_SECRET_KEY": SECRET_KEY, "GONGJIAN_DATABASE_URL": url,
                    "FLOOR_DATABASE_URL": url, "GONGJIAN_REDIS_URL": REDIS_URL,
                    "GONGJIAN_RATE_LIMITS": "off", "GONGJIAN_TRUSTED_HOSTS": "127.0.0.1",
                    "GONGJIAN_BIND": f"127.0.0.1:{self.port}", "GONGJIAN_WORKERS": str(WORKERS),
                    "PROMETHEUS_MULTIPROC_DIR": str(log_dir / f"metrics-{self.port}")}
        self.app, self.want_scheduler, self.log_dir = app, scheduler, log_dir
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Server:
        log = open(self.log_dir / f"{self.app.replace(':', '-')}.log", "ab")
        command = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--pythonpath",
                   "bench", self.app]
        self.master = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.processes.append(self.master)
        if self.want_scheduler:
            self.processes.append(subprocess.Popen(
                [str(BIN / "flask"), "--app", "app", "scheduler"], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(self.worker_pids()) == WORKERS and self.answers():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.app} did not start; see {self.log_dir}")

    def answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz" if self.app == "app:app" else "/")
            conn.getresponse().read()
            return True
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.master.pid)], capture_output=True,
                             text=True).stdout
        return [int(pid) for pid in out.split()]

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# -- clients --------------------------------------------------------------------------------


def booking_body(rng: random.Random, venues: list[int], today: date) -> tuple[dict, bool]:
    """A booking request, and whether it aims at one of the popular slots."""
    popular = rng.random() < 0.3
    if popular:
        hot = rng.randrange(HOT_SLOTS)
        venue, day, hour = venues[hot], today + timedelta(days=2 + hot), 19
        minutes = 120
    else:
        venue = rng.choice(venues)
        day = today + timedelta(days=rng.randint(1, 13))
        hour = rng.randint(6, 21)
        minutes = rng.choice((60, 90, 120))
    start = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(
        hours=hour, minutes=rng.choice((0, 30)))
    end = min(start + timedelta(minutes=minutes),
              datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI))
    return {"venue_id": venue, "start": start.isoformat(), "end": end.isoformat(),
            "title": "负载测试活动", "attendees": 5}, popular


def client_process(index: int, port: int, plan: dict, threads: int, duration: float,
                   mode: str, out: str) -> None:
    """`threads` clients for `duration` seconds; one JSON line per request into `out`."""
    lines: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    today = datetime.now(SHANGHAI).date()

    def run(n: int) -> None:
        rng = random.Random(index * 1000 + n)
        person = rng.randrange(len(plan["tokens"]))
        auth = {"Authorization": "Bearer " + plan["tokens"][person],
                "Content-Type": "application/json", "Accept-Language": "zh"}
        mine: list[int] = []
        etag = None
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ops = [name for name, weight in MIX for _ in range(weight)]
        while time.monotonic() < stop_at:
            op = "book" if mode in BOOKING_PATHS else rng.choice(ops)
            if op == "cancel" and not mine:
                op = "book"
            headers = dict(auth)
            if op == "browse":
                method, path, body = "GET", f"/api/v1/venues?page={rng.randint(1, 3)}", None
            elif op == "availability":
                day = today + timedelta(days=rng.randint(0, 7))
                method, body = "GET", None
                path = (f"/api/v1/venues/{rng.choice(plan['venues'])}/availability"
                        f"?from={day}&to={day + timedelta(days=6)}")
            elif op == "book":
                request_body, popular = booking_body(rng, plan["venues"], today)
                method, body = "POST", json.dumps(request_body)
                path = BOOKING_PATHS.get(mode, BOOKING_PATHS["booking"])
            elif op == "cancel":
                method, body = "POST", "{}"
                path = f"/api/v1/bookings/{mine.pop(rng.randrange(len(mine)))}/cancel"
            else:
                method, path, body = "GET", plan["feeds"][person], None
                headers = {"If-None-Match": etag} if etag else {}
            started = time.monotonic()
            wall = time.time()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status, payload = 0, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.monotonic() - started
            record = {"op": op, "status": status, "ms": round(elapsed * 1000, 3), "t": wall}
            if op == "book":
                record["popular"] = popular
                if status == 201:
                    record["id"] = json.loads(payload)["id"]
                    mine.append(record["id"])
            if op == "ics" and status in (200, 304):
                etag = response.getheader("ETag") or etag
            with lock:
                lines.append(json.dumps(record))

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines.append(json.dumps({"cpu": time.process_time()}))
    Path(out).write_text("\n".join(lines))


CPU_KINDS = (("gunicorn", "web workers"), ("scheduler", "scheduler"))


def cpu_by_kind() -> dict[int, tuple[str, float]]:
    """CPU seconds so far of every process of the set-up, by pid: gunicorn (master and
    workers), the scheduler and PostgreSQL's server processes."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            name = (entry / "comm").read_text().strip()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Its own time and that of its children already gone (workers recycled by
        # max_requests, PostgreSQL backends of closed connections).
        seconds = sum(int(value) for value in fields[11:15]) / tick
        if name == "postgres":
            found[int(entry.name)] = ("PostgreSQL", seconds)
            continue
        for needle, kind in CPU_KINDS:
            if needle in command:
                found[int(entry.name)] = (kind, seconds)
                break
    return found


def cpu_spent(before: dict, after: dict, client_cpu: float) -> dict[str, float]:
    """CPU seconds by kind of process between two `cpu_by_kind` readings. A process that ended
    meanwhile (a worker recycled by max_requests, the backend of a closed connection) is in the
    second reading as part of its parent's, whole: what it had spent by the first reading is
    taken off all the same."""
    spent: dict[str, float] = {}
    for reading, sign in ((after, 1), (before, -1)):
        for kind, seconds in reading.values():
            spent[kind] = spent.get(kind, 0.0) + sign * seconds
    # An idle kind (PostgreSQL's processes on the SQLite run) can come out a tick below
    # nothing when one of them ends: count that as nothing.
    spent = {kind: max(seconds, 0.0) for kind, seconds in spent.items()}
    spent["load clients"] = client_cpu
    return spent


def report_cpu(spent: dict[str, float], requests: int) -> None:
    """Where the machine's CPU went, per request answered."""
    shown = ", ".join(f"{kind} {seconds * 1000 / max(requests, 1):.2f}"
                      for kind, seconds in spent.items())
    print(f"    CPU per request (ms): {shown}")


def drive(port: int, plan: dict, clients: int, duration: float, mode: str, work: Path,
          during=None, cpu: dict[str, float] | None = None) -> list[dict]:
    """Run the clients in PROCESSES processes; `during(started_at)` runs meanwhile (faults).
    Prints where the CPU went (but for the fault run, whose killed worker takes its share), or
    adds it up in `cpu`."""
    files = [work / f"{mode}-{port}-{i}.jsonl" for i in range(PROCESSES)]
    before = cpu_by_kind()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=client_process, args=(
        i, port, plan, max(1, clients // PROCESSES), duration, mode, str(f)))
        for i, f in enumerate(files)]
    for process in processes:
        process.start()
    if during is not None:
        during(time.time())
    for process in processes:
        process.join()
    after = cpu_by_kind()
    records = [json.loads(line) for f in files for line in f.read_text().splitlines() if line]
    client_cpu = sum(r.pop("cpu") for r in records if "cpu" in r)
    records = [r for r in records if "op" in r]
    if cpu is not None:
        for kind, seconds in cpu_spent(before, after, client_cpu).items():
            cpu[kind] = cpu.get(kind, 0.0) + seconds
    elif during is None:
        report_cpu(cpu_spent(before, after, client_cpu), len(records))
    return records


# -- figures --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(title: str, records: list[dict], duration: float) -> dict:
    """Requests/s and latency per operation; bookings also split into those aiming at the
    popular slots (queueing for their venues' locks) and the rest."""
    print(f"\n  {title}: {len(records)} requests in {duration:.0f} s = "
          f"{len(records) / duration:.0f} req/s")
    print(f"    {'operation':<13}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"  statuses")
    figures = {}
    for op in sorted({r["op"] for r in records}):
        mine = [r for r in records if r["op"] == op]
        figures[op] = _row(op, mine, duration)
        if op == "book":
            for name, popular in (("  popular", True), ("  other", False)):
                _row(name, [r for r in mine if r.get("popular") == popular], duration)
    errors = sum(1 for r in records if r["status"] >= 500 or r["status"] == 0)
    print(f"    5xx or broken connections: {errors}")
    return figures


def _row(name: str, records: list[dict], duration: float) -> dict:
    ms = [r["ms"] for r in records]
    statuses: dict[int, int] = {}
    for r in records:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    row = {"count": len(records), "rps": len(records) / duration, "p50": percentile(ms, .5),
           "p95": percentile(ms, .95), "p99": percentile(ms, .99), "statuses": statuses}
    shown = " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
    print(f"    {name:<13}{len(records):>7}{row['rps']:>8.0f}{row['p50']:>9.1f}{row['p95']:>9.1f}"
          f"{row['p99']:>9.1f}  {shown}")
    return row


def report_check(url: str, records: list[dict]) -> dict:
    result = check_database(url, [r["id"] for r in records if "id" in r])
    print(f"    database: {describe_check(result)}, {result['rows']} rows")
    return result


def describe_check(result: dict) -> str:
    return (f"{result['overlaps']} overlapping active pairs, {result['lost']} of "
            f"{result['acknowledged']} acknowledged bookings missing")


def postgres_restart() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True)


def compare_with_floor(name: str, url: str, plan: dict, args, work: Path, ours: int,
                       floor: int, *, mode: str = "booking") -> dict:
    """Bookings only, one side (`mode`: Gongjian, or the floor's statements on its stack) and
    the floor in turn for `args.rounds` rounds of duration / rounds seconds each, every turn
    on a database emptied of bookings."""
    turn = args.duration / args.rounds
    label = SIDES[mode]
    sides = {mode: ours, "floor": floor}
    records: dict[str, list[dict]] = {side: [] for side in sides}
    cpu: dict[str, dict[str, float]] = {side: {} for side in sides}
    checks: dict[str, list[dict]] = {side: [] for side in sides}
    for number in range(1, args.rounds + 1):
        rates = {}
        for side, port in sides.items():
            empty_bookings(url)
            got = drive(port, plan, args.clients, turn, side, work, cpu=cpu[side])
            checks[side].append(check_database(url, [r["id"] for r in got if "id" in r]))
            records[side] += got
            rates[side] = sum(1 for r in got if r["op"] == "book") / turn
        print(f"    round {number}: {label} {rates[mode]:.0f}/s, floor {rates['floor']:.0f}/s, "
              f"ratio {rates[mode] / rates['floor']:.2f}×")
    results: dict = {}
    for side in sides:
        results[side] = summarize(f"{name} booking only ({SIDES[side]}), {args.rounds} turns "
                                  f"of {turn:.0f} s", records[side], args.duration)
        report_cpu(cpu[side], len(records[side]))
        results[side + "_check"] = {figure: sum(check[figure] for check in checks[side])
                                    for figure in ("overlaps", "acknowledged", "lost")}
        print(f"    database after each turn: {describe_check(results[side + '_check'])}")
    ours_rate, floor_rate = results[mode]["book"]["rps"], results["floor"]["book"]["rps"]
    target = " (target ≥ 0.4×)" if mode == "booking" else ""
    print(f"\n  {name} booking throughput: {label} {ours_rate:.0f}/s, floor {floor_rate:.0f}/s, "
          f"ratio {ours_rate / floor_rate:.2f}×{target}")
    return results


def run_database(name: str, url: str, args, work: Path) -> dict:
    print(f"\n== {name}: seeding")
    plan = seed(url)
    results: dict = {}
    with Server(url, "app:app", scheduler=True, log_dir=work) as server:
        mixed = drive(server.port, plan, args.clients, args.duration, "mixed", work)
        results["mixed"] = summarize(f"{name} mixed", mixed, args.duration)
        results["mixed_check"] = report_check(url, mixed)
        if not args.no_floor:
            with Server(url, "floor_app:app", scheduler=False, log_dir=work) as floor:
                results.update(compare_with_floor(name, url, plan, args, work,
                                                  server.port, floor.port))
    if args.stack:
        with Server(url, "floor_app:app", scheduler=False, log_dir=work) as floor, \
                Server(url, "stack_floor:app", scheduler=False, log_dir=work) as stack:
            results.update(compare_with_floor(name, url, plan, args, work, stack.port,
                                              floor.port, mode="stack"))
    if not args.no_fault:
        empty_bookings(url)
        events: dict[str, float] = {}
        with Server(url, "app:app", scheduler=True, log_dir=work) as server:
            def faults(started: float) -> None:
                time.sleep(args.duration * 0.3)
                victim = server.worker_pids()[0]
                os.kill(victim, signal.SIGKILL)
                events["worker_killed"] = time.time() - started
                print(f"    t={events['worker_killed']:.1f}s killed worker {victim}")
                if name == "PostgreSQL":
                    time.sleep(args.duration * 0.3)
                    events["restart_from"] = time.time()
                    postgres_restart()
                    events["restart_to"] = time.time()
                    print(f"    t={events['restart_from'] - started:.1f}s PostgreSQL restarted "
                          f"in {events['restart_to'] - events['restart_from']:.1f} s")

            fault = drive(server.port, plan, args.clients, args.duration, "fault", work,
                          during=faults)
            results["fault"] = summarize(f"{name} fault run", fault, args.duration)
            grace = 5.0
            # A request was caught by the restart when it was in flight at any moment of it
            # (t is when it was sent, ms how long it took).
            during = [r for r in fault if (r["status"] >= 500 or r["status"] == 0)
                      and r["t"] + r["ms"] / 1000 >= events.get("restart_from", 1e18)
                      and r["t"] <= events.get("restart_to", 0) + grace]
            outside = [r for r in fault if (r["status"] >= 500) and r not in during]
            broken = [r for r in fault if r["status"] == 0 and r not in during]
            print(f"    5xx during the PostgreSQL restart (+{grace:.0f} s): {len(during)}; "
                  f"5xx outside it: {len(outside)}; connections cut by the killed worker: "
                  f"{len(broken)}")
            results["fault_check"] = report_check(url, fault)
            serving = server.answers() and len(server.worker_pids()) == WORKERS
            status = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            status.request("GET", "/api/v1/venues")
            after = status.getresponse().status
            print(f"    after the faults: {len(server.worker_pids())} workers, "
                  f"GET /api/v1/venues → {after}; serving again without help: "
                  f"{serving and after == 200}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns of Gongjian and the floor in the booking comparison")
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--stack", action="store_true",
                        help="also the floor's statements on Gongjian's stack against the floor "
                             "(bench/stack_floor.py)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="gongjian-load-"))
    print(f"load: {args.clients} clients, {args.duration:.0f} s phases, {WORKERS} gunicorn "
          f"workers, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; logs {work}")
    if args.db in ("postgres", "both"):
        server = sa.engine.make_url(PG_URL)
        engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": server.database}):
                conn.execute(sa.text(f'CREATE DATABASE "{server.database}"'))
        engine.dispose()
        run_database("PostgreSQL", PG_URL, args, work)
    if args.db in ("sqlite", "both"):
        path = work / "load.db"
        run_database("SQLite", f"sqlite:///{path}", args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
