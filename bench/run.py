"""`make bench`: generate (or reuse) a large practice, serve it with gunicorn, load it with wrk.

    .venv/bin/python -m bench.run [--scale 1] [--db sqlite|postgres|both] [--fresh]

See bench/README.md for what each number means. One child process runs per database (Django
is set up once per process, for one database); this parent then writes the Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk" / "bench.lua"
PG_URL = "postgres://postgres@127.0.0.1:5432/i10_bench"
# Times slower than the floor (its req/s over theirs) each kind of operation may be.
TARGETS = {"page": 2.5, "api": 2.0, "write": 3.0}
# An operation answering fewer requests than this in its run is run again, longer.
MIN_REQUESTS = 20
MAX_SECONDS = 60


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000 cases (default)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--fresh", action="store_true", help="generate again, cache or not")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per operation")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency-seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=8610)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL))
    parser.add_argument("--year-weeks", type=int, default=52, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {text}", file=sys.stderr, flush=True)


# --- the cached practice --------------------------------------------------------------------


def _scale_tag(scale: float) -> str:
    return f"s{scale:g}".replace(".", "p")


def _pg_admin(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _place(args: argparse.Namespace, db: str) -> tuple[Path, str]:
    """The practice's folder (its SQLite file, documents and description) and database URL."""
    from bench.practice import cache_key

    name = f"{db}-{_scale_tag(args.scale)}-{cache_key(args.scale)}"
    folder = ROOT / "var" / "bench" / name
    if db == "sqlite":
        return folder, ""
    parts = urllib.parse.urlsplit(args.pg_url)
    database = f"{parts.path.lstrip('/') or 'i10_bench'}_{name.split('-', 1)[1]}".replace("-", "_")
    return folder, parts._replace(path=f"/{database}").geturl()


def _environment(folder: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
    # A fixed key of the bench's own: the practice's sessions outlive one server.
    env.setdefault("REUNIFY_SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        REUNIFY_VAR_DIR=str(folder),
        REUNIFY_DOCUMENTS_DIR=str(folder / "documents"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _prepare(args: argparse.Namespace, db: str, folder: Path, url: str) -> dict[str, Any]:
    """Reuse the cached practice, or write a new one; return its description."""
    described = folder / "practice.json"
    database = urllib.parse.urlsplit(url).path.lstrip("/") if url else ""
    exists = (
        bool(_pg_admin(url, f"SELECT 1 FROM pg_database WHERE datname = '{database}'"))
        if url
        else (folder / "reunify.sqlite3").exists()
    )
    if described.exists() and exists and not args.fresh:
        _say(f"{db}: reusing the practice in {url or folder} (--fresh to generate it again)")
        os.environ.update(_environment(folder, url))
        _django()
        return {**json.loads(described.read_text()), "cached": True}
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if url:
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _pg_admin(url, f'CREATE DATABASE "{database}"')
    os.environ.update(_environment(folder, url))
    _django()
    from django.core.management import call_command

    from bench.practice import generate

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - began
    practice = generate(args.scale, year_weeks=args.year_weeks).as_json()
    practice["seconds"] = {"migrate": round(migrated, 2), **practice["seconds"]}
    practice["generation s"] = round(time.perf_counter() - began, 1)
    described.write_text(json.dumps(practice, indent=1))
    return {**practice, "cached": False}


def _django() -> None:
    """Set Django up for the bench's settings, with the static files its pages name collected."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from reunify.static_files import collect_static

    collect_static()


# --- serving and loading ---------------------------------------------------------------------


@dataclass
class Server:
    """A running app server: where it answers, and its log (where a 500's traceback goes)."""

    address: str
    log: Path

    def server_errors(self, since: int) -> int:
        """Requests answered 500 since the log had `since` bytes (wrk misses the ones still
        in flight when its time is up; the log does not)."""
        with self.log.open("rb") as handle:
            handle.seek(since)
            return handle.read().count(b"Internal Server Error:")

    def log_size(self) -> int:
        return self.log.stat().st_size


@contextmanager
def _gunicorn(env: dict[str, str], port: int, workers: int) -> Iterator[Server]:
    """A real gunicorn on loopback serving the bench settings (production's plus the floor)."""
    command = [
        str(BIN / "gunicorn"),
        "reunify.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--timeout=120",
        "--log-level=warning",
        f"--chdir={ROOT}",
    ]
    path = Path(env["REUNIFY_VAR_DIR"]) / f"gunicorn-{port}.log"
    log = path.open("ab")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn ended at once; see {log.name}")
            try:
                with urllib.request.urlopen(f"{address}/healthz", timeout=30) as answer:
                    if answer.status == 200:
                        break
            except OSError:  # not listening yet, or a worker still booting
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer on /healthz; see {log.name}") from None
                time.sleep(0.3)
        yield Server(address, path)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _http(
    address: str, path: str, cookies: dict[str, str], form: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """One request with these cookies (updated from the answer); status, Location, body."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"{address}{path}", data=data)
    request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    request.add_header("Referer", f"{address}{path}")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        answer = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        answer = error
    for header in answer.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value
    return answer.status, answer.headers.get("Location", ""), answer.read().decode()


def _csrf(body: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not found:
        raise RuntimeError("no CSRF token on the login page")
    return found.group(1)


def login(address: str, username: str, password: str) -> str:
    """Log in through the real pages: password, then the authenticator code (the bench's
    users have a demo factor, whose current code the real `totp_demo_code` gives).
    Returns the Cookie header value of the logged-in session."""
    from reunify.accounts.models import User
    from reunify.accounts.services import totp_demo_code

    cookies: dict[str, str] = {}
    _status, _where, page = _http(address, "/login/", cookies)
    status, where, _body = _http(
        address,
        "/login/",
        cookies,
        {"username": username, "password": password, "csrfmiddlewaretoken": _csrf(page)},
    )
    if status != 302 or "code" not in where:
        raise RuntimeError(f"the password step answered {status} {where}")
    _status, _where, page = _http(address, where, cookies)
    code = totp_demo_code(user=User.objects.get(username=username))
    status, where, _body = _http(
        address, where, cookies, {"code": code, "csrfmiddlewaretoken": _csrf(page)}
    )
    if status != 302 or "login" in where:
        raise RuntimeError(f"the code step answered {status} {where}")
    if _http(address, "/bench/floor", cookies)[0] != 200:
        raise RuntimeError("logged in, yet the floor view refused the session")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def wrk(
    address: str,
    path: str,
    *,
    seconds: int,
    threads: int,
    connections: int,
    header: str = "",
    script_args: list[str] | None = None,
) -> dict[str, Any]:
    """Run wrk against one address; its numbers as bench.lua's done() printed them."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=30s",
        "--latency",
        "-s",
        str(LUA),
    ]
    if header:
        command += ["-H", header]
    command += [f"{address}{path}", "--", *(script_args or ["get"])]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((ln for ln in output.stdout.splitlines() if ln.startswith("BENCH ")), "")
    if not line:
        raise RuntimeError(f"wrk printed no result: {output.stdout} {output.stderr}")
    raw = json.loads(line[len("BENCH ") :])
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "req/s": round(raw["requests"] / duration, 1) if duration else 0.0,
        "p50 ms": round(raw["p50_us"] / 1000, 1),
        "p99 ms": round(raw["p99_us"] / 1000, 1),
        "errors": raw["bad_status"] + raw["socket_errors"],
        "first error": raw["first_error"],
    }


def _drain(address: str) -> None:
    """Wait until the server has answered what the previous wrk run left queued (gunicorn
    still works through requests whose client has gone), so one operation's backlog is not
    measured as the next one's time."""
    for _ in range(5):
        began = time.monotonic()
        with urllib.request.urlopen(f"{address}/healthz", timeout=300) as answer:
            answer.read()
        if time.monotonic() - began < 0.5:
            return


def _token(username: str) -> str:
    from reunify.accounts.models import User
    from reunify.accounts.services import token_create

    return token_create(actor=None, user=User.objects.get(username=username), label="bench")


def _base_epoch() -> int:
    """An hour after every session already booked: the bench's new sessions never clash with
    the practice's, nor with an earlier run's."""
    from django.db.models import Max
    from django.utils import timezone

    from reunify.clinical.models import Appointment

    latest = Appointment.objects.aggregate(latest=Max("starts_at"))["latest"] or timezone.now()
    latest = max(latest, timezone.now()) + dt.timedelta(days=2)
    return int(latest.timestamp()) // 3600 * 3600


def _pdf(folder: Path) -> Path:
    import weasyprint

    path = folder / "bench-upload.pdf"
    if not path.exists():
        path.write_bytes(weasyprint.HTML(string="<p>A bench upload.</p>").write_pdf())
    return path


def load(
    args: argparse.Namespace, practice: dict[str, Any], server: Server
) -> list[dict[str, Any]]:
    """Each operation under wrk, and its ratio to the floor measured in the same run."""
    from bench.practice import PASSWORD, THERAPIST

    address = server.address
    cookie = "Cookie: " + login(address, THERAPIST, PASSWORD)
    bearer = "Authorization: Bearer " + _token(THERAPIST)
    year = practice["year_case"]
    one, child = practice["one_case"]
    operations = [
        ("floor", "floor", "/bench/floor", cookie, None),
        ("caseload", "page", "/", cookie, None),
        ("case page (one-year case)", "page", f"/cases/{year}/", cookie, None),
        ("timeline (one-year case)", "page", f"/cases/{year}/timeline/", cookie, None),
        ("gate (API)", "api", f"/api/v1/cases/{year}/gate", bearer, None),
        ("API case list", "api", "/api/v1/cases", bearer, None),
        (
            "appointment creation (API)",
            "write",
            f"/api/v1/cases/{one}/appointments",
            "",
            ["appointment", str(_base_epoch()), "0", f"{one}:{child}:{bearer.split()[-1]}"],
        ),
    ]
    rows = []
    for label, kind, path, header, script in operations:
        seconds = args.duration
        while True:
            _say(f"wrk {label}: {path} for {seconds} s")
            _drain(address)
            since = server.log_size()
            numbers = wrk(
                address,
                path,
                seconds=seconds,
                threads=args.threads,
                connections=args.connections,
                header=header,
                script_args=script,
            )
            numbers["server errors"] = server.server_errors(since)
            # Too few answers to mean anything (each slower than the run was long): longer.
            if numbers["requests"] >= MIN_REQUESTS or seconds >= MAX_SECONDS:
                break
            seconds = min(MAX_SECONDS, seconds * 3)
        rows.append({"operation": label, "kind": kind, "path": path, "seconds": seconds, **numbers})
    floor = rows[0]["req/s"] or 1.0
    for row in rows:
        ratio = floor / row["req/s"] if row["req/s"] else float("inf")
        target = TARGETS.get(row["kind"])
        row["x floor"] = round(ratio, 2) if row["req/s"] else None
        row["target"] = f"≤ {target}×" if target else "—"
        clean = row["errors"] == 0 and row["server errors"] == 0
        row["pass"] = clean and (target is None or ratio <= target)
    return rows


def _reunify(env: dict[str, str], *command: str) -> tuple[int, str, float]:
    began = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "reunify"), *command], env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, (done.stdout + done.stderr).strip(), time.perf_counter() - began


def audit_verify(env: dict[str, str]) -> dict[str, Any]:
    """`reunify audit verify` as an operator runs it: events per second over the whole log."""
    code, output, seconds = _reunify(env, "audit", "verify")
    found = re.search(r"(\d+) events", output)
    events = int(found.group(1)) if found else 0
    return {
        "intact": code == 0,
        "events": events,
        "seconds": round(seconds, 2),
        "events/s": round(events / seconds) if seconds else 0,
        "target events/s": 200_000,
        "pass": code == 0 and seconds > 0 and events / seconds >= 200_000,
        "output": output[-300:],
    }


def documents_check(env: dict[str, str]) -> dict[str, Any]:
    """`reunify documents check` (no file without its record), when this version has it."""
    if _reunify(env, "help", "documents")[0] != 0:
        return {"available": False, "pass": None, "output": "no `reunify documents` command"}
    code, output, _seconds = _reunify(env, "documents", "check")
    return {"available": True, "pass": code == 0, "output": output[-500:]}


def concurrency(
    args: argparse.Namespace, practice: dict[str, Any], env: dict[str, str], folder: Path
) -> dict[str, Any]:
    """Two app servers on one PostgreSQL; 8 writers on one case and 8 on different cases,
    half through each server, for a bounded time: sessions, notes, parties and PDF uploads."""
    from reunify.accounts.models import User

    tokens: dict[int, str] = {}

    def token_of(user_id: int) -> str:
        if user_id not in tokens:
            tokens[user_id] = _token(User.objects.get(pk=user_id).username)
        return tokens[user_id]

    from bench.practice import THERAPIST

    me = User.objects.get(username=THERAPIST).pk
    one, child = practice["one_case"]
    same = [f"{one}:{child}:{token_of(me)}"]
    spread = [f"{c}:{k}:{token_of(t)}" for c, k, t in practice["many_cases"]]
    base, pdf = str(_base_epoch()), str(_pdf(folder))
    with (
        _gunicorn(env, args.port + 1, args.workers) as first,
        _gunicorn(env, args.port + 2, args.workers) as second,
    ):
        plan = [
            ("one case", first.address, same),
            ("one case", second.address, same),
            ("different cases", first.address, spread),
            ("different cases", second.address, spread),
        ]
        sizes = [first.log_size(), second.log_size()]
        command = [
            "wrk",
            "-t1",
            "-c4",
            f"-d{args.concurrency_seconds}s",
            "--timeout=30s",
            "-s",
            str(LUA),
        ]
        _say(f"concurrency: 16 writers for {args.concurrency_seconds} s on two servers")
        running = [
            subprocess.Popen(
                [*command, f"{address}/", "--", "mix", base, str(slot + 1), pdf, *cases],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for slot, (_label, address, cases) in enumerate(plan)
        ]
        outputs = [process.communicate()[0] for process in running]
        server_errors = first.server_errors(sizes[0]) + second.server_errors(sizes[1])
    groups: dict[str, dict[str, Any]] = {}
    for (label, _address, _cases), output in zip(plan, outputs, strict=True):
        line = next((ln for ln in output.splitlines() if ln.startswith("BENCH ")), "")
        if not line:
            raise RuntimeError(f"wrk printed no result: {output}")
        raw = json.loads(line[len("BENCH ") :])
        group = groups.setdefault(label, {"requests": 0, "errors": 0, "first error": ""})
        group["requests"] += raw["requests"]
        group["errors"] += raw["bad_status"] + raw["socket_errors"]
        group["first error"] = group["first error"] or raw["first_error"]
    for group in groups.values():
        group["writes/s"] = round(group["requests"] / args.concurrency_seconds, 1)
    verify = audit_verify(env)
    documents = documents_check(env)
    errors = sum(g["errors"] for g in groups.values())
    return {
        "seconds": args.concurrency_seconds,
        "groups": groups,
        "errors": errors,
        "server errors": server_errors,
        "audit intact": verify["intact"],
        "documents": documents,
        "pass": errors == 0
        and server_errors == 0
        and verify["intact"]
        and documents["pass"] is not False,
    }


def run_one(args: argparse.Namespace, db: str) -> dict[str, Any]:
    """Everything for one database; returns (and stores) its results."""
    from bench import measure
    from bench.practice import Practice

    folder, url = _place(args, db)
    began = time.perf_counter()
    practice = _prepare(args, db, folder, url)
    prepared = time.perf_counter() - began
    env = _environment(folder, url)
    described = Practice(
        **{k: v for k, v in practice.items() if k in Practice.__dataclass_fields__}
    )
    result: dict[str, Any] = {
        "db": db,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "machine": {"cpus": os.cpu_count(), "load average": os.getloadavg()},
        "practice": {
            "cached": practice["cached"],
            "prepare s": round(prepared, 1),
            "generation s": practice.get("generation s"),
            "seconds per table": practice["seconds"],
            "counts": practice["counts"],
        },
    }
    _say(f"{db}: query counts at two practice sizes")
    result["queries"] = measure.query_counts(described)
    _say(f"{db}: court report of the one-year case")
    result["report"] = measure.report_time(described)
    _say(f"{db}: reunify audit verify")
    result["audit verify"] = {**audit_verify(env), "in process": measure.verify_time()}
    inside = result["audit verify"]["in process"]
    result["audit verify"]["pass"] = inside["intact"] and inside["events/s"] >= 200_000
    from django.db import connections

    connections.close_all()
    with _gunicorn(env, args.port, args.workers) as server:
        result["wrk"] = load(args, practice, server)
    if db == "postgres":
        result["concurrency"] = concurrency(args, practice, env, folder)
    result["settings"] = {
        "gunicorn workers": args.workers,
        "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    (RESULTS / f"{stamp}-{db}.json").write_text(json.dumps(result, indent=1, default=str))
    return result


# --- the table -------------------------------------------------------------------------------


def _verdict(value: bool | None) -> str:
    return "—" if value is None else ("pass" if value else "FAIL")


def markdown(results: list[dict[str, Any]]) -> str:
    """bench/results/latest.md: one table per database, then the other numbers."""
    lines = ["# Bench results", ""]
    for r in results:
        practice = r["practice"]
        lines += [
            f"## {r['db']} — scale {r['scale']:g}, {r['date']}",
            "",
            f"{r['machine']['cpus']} CPUs (wrk shares them with the server), load "
            f"{', '.join(f'{x:.1f}' for x in r['machine']['load average'])}; "
            f"{r['settings']['gunicorn workers']} gunicorn sync workers, wrk "
            f"{r['settings']['wrk']}. Practice "
            + (
                "reused from the cache."
                if practice["cached"]
                else f"generated in {practice['generation s']} s."
            ),
            "",
            "| operation | req/s | p50 ms | p99 ms | × floor | target | errors | 500s logged "
            "| pass |",
            "|---|---:|---:|---:|---:|---|---:|---:|---|",
        ]
        for row in r["wrk"]:
            lines.append(
                f"| {row['operation']} | {row['req/s']} | {row['p50 ms']} | {row['p99 ms']} "
                f"| {row['x floor'] if row['x floor'] is not None else 'no answer'} "
                f"| {row['target']} | {row['errors']} | {row['server errors']} "
                f"| {_verdict(row['pass'])} |"
            )
        verify, report = r["audit verify"], r["report"]
        inside = verify["in process"]
        lines += [
            "",
            f"- `reunify audit verify`: {verify['events']} events in {verify['seconds']} s "
            f"with start-up = {verify['events/s']} events/s; `audit_verify()` alone "
            f"{inside['seconds']} s = {inside['events/s']} events/s (target ≥ 200,000; intact: "
            f"{verify['intact'] and inside['intact']}) — {_verdict(verify['pass'])}",
            f"- court report of the one-year case: p50 {report['p50 s']} s over "
            f"{report['runs']} runs, {report['pages']} pages (target < 2 s) — "
            f"{_verdict(report['pass'])}",
        ]
        if "concurrency" in r:
            c = r["concurrency"]
            groups = "; ".join(
                f"{name}: {g['writes/s']} writes/s, {g['errors']} errors"
                for name, g in c["groups"].items()
            )
            lines.append(
                f"- concurrency ({c['seconds']} s, two servers): {groups}; 500s logged: "
                f"{c['server errors']}; audit chain intact: "
                f"{c['audit intact']}; documents check: {c['documents']['output'][:120]} — "
                f"{_verdict(c['pass'])}"
            )
        lines += [
            "",
            "| page | queries, "
            f"{r['queries']['rows'][0]['cases small']} cases | queries, "
            f"{r['queries']['rows'][0]['cases large']} cases | equal |",
            "|---|---:|---:|---|",
        ]
        for q in r["queries"]["rows"]:
            lines.append(
                f"| {q['page']} | {q['queries small']} | {q['queries large']} "
                f"| {'yes' if q['equal'] else 'NO'} |"
            )
        lines += ["", "Generation, seconds per table:", ""]
        lines.append(
            ", ".join(f"{table} {s}" for table, s in practice["seconds per table"].items())
        )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.child:
        run_one(args, args.db)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    results = []
    for db in dbs:
        passed = argv if argv is not None else sys.argv[1:]
        child = [sys.executable, "-m", "bench.run", *passed, "--db", db, "--child"]
        if subprocess.run(child, cwd=ROOT, check=False).returncode != 0:
            raise SystemExit(f"the {db} bench failed")
        results.append(json.loads((RESULTS / f"{stamp}-{db}.json").read_text()))
    table = markdown(results)
    (RESULTS / "latest.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
