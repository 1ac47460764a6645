"""Payments per second over HTTP with 8 concurrent clients on PostgreSQL, against pgbench TPC-B tps.

    python -m bench.payments_http [--clients 8] [--server granian|gunicorn|runserver] [--workers N]
                                  [--threads N] [--client auto|wrk|python] [--seconds 15]
                                  [--per-client 250] [--servers 2] [--pgbench-seconds 20]

In one run, on the same machine and loopback only:
1. a fresh PostgreSQL database with a network (6 providers, 20,000 accounts, one payment point
   and cashier per client, each with an API token);
2. the app server on 127.0.0.1 with the production settings (docs/how-to/deploy.md): DEBUG off,
   persistent database connections (DB_CONN_MAX_AGE=300); by default
   the production app server, granian (`pip install merezha[bench]`), with `--workers` processes
   (default: one per core) of `--threads` threads each (default 4), as deploy.md advises; or
   `--server gunicorn` with `--workers` sync worker processes (with `--threads N`, threaded
   workers of N threads each that keep connections alive); or `--server runserver`: `--servers`
   Django development servers, one port each;
3. the load: with `wrk` installed (Debian package `wrk`; `--client auto` picks it) one wrk thread
   and connection per client for 2 s of warm-up, then `--seconds` measured; otherwise (or
   `--client python`) one Python thread per client posting `--per-client` payments after 10
   warm-up requests. Either way each client is its own point's cashier with its own token, each
   request a payment of 1–3 random accounts and amounts under a fresh Idempotency-Key, and every
   response's status is checked (anything but 201 counts as an error);
4. the payments' database dropped, `pgbench -i -s 8` then `pgbench -c <clients> -j 2 -T <seconds>`
   (TPC-B) on another fresh database. A CHECKPOINT before each measured phase: neither side pays
   for the writes of the setup before it.
Prints payments/s, latency percentiles, the CPU time per payment of the app server's processes and
of the database's PostgreSQL backends (Linux /proc, wrk client only), pgbench tps and the ratio.
Target on 2 cores: at least 150 payments/s with p95 ≤ 100 ms (more than ten times a city's busiest
hour, about 11 payments/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench._money import PG_ADMIN_URL, django_on, network_build, pg_drop_database, pg_fresh_database, table

DAY = dt.date.today()
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on {port} did not start")


def client(port: int, token: str, accounts: list[int], count: int, seed: int, out: dict) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    ok = errors = 0
    for i in range(count + 10):
        chosen = rng.sample(accounts, rng.choice((1, 1, 2, 3)))
        body = json.dumps(
            {
                "lines": [
                    {"account_id": a, "amount": f"{rng.randint(1, 3000)}.{rng.randint(0, 99):02d}"}
                    for a in chosen
                ],
                "method": "card",
            }
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "Content-Type": "application/json",
        }
        t0 = time.perf_counter()
        for attempt in range(3):  # a dropped keep-alive connection is retried with the same key
            try:
                conn.request("POST", "/api/v1/payments", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
                if attempt == 2:
                    break
        if i < 10:
            if i == 9:
                out["start"] = time.perf_counter()
            continue
        latencies.append(time.perf_counter() - t0)
        if status == 201:
            ok += 1
        else:
            errors += 1
    out["end"] = time.perf_counter()
    out.update(ok=ok, errors=errors, latencies=latencies)
    conn.close()


#: The wrk client (Debian package `wrk`): one thread and one kept-alive connection per client, each
#: client a payment point's cashier with its own token; each request a fresh payment of 1–3 lines of
#: random accounts and amounts under a fresh Idempotency-Key; every response's status is counted.
WRK_SCRIPT = r"""
local tokens = {%(tokens)s}
local run = "%(run)s"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
  thread:set("token", tokens[#threads])
end

accounts = {%(accounts)s}
local sizes = {1, 1, 2, 3}
local count = 0
ok = 0
bad = 0
statuses = {}

function init(args)
  math.randomseed(id * 7919)
end

function request()
  count = count + 1
  local n = sizes[math.random(4)]
  local picked, lines = {}, {}
  while #lines < n do
    local a = accounts[math.random(#accounts)]
    if not picked[a] then
      picked[a] = true
      lines[#lines + 1] = string.format('{"account_id": %%d, "amount": "%%d.%%02d"}',
                                        a, math.random(1, 3000), math.random(0, 99))
    end
  end
  local body = '{"lines": [' .. table.concat(lines, ", ") .. '], "method": "card"}'
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("%%s-%%d-%%d", run, id, count),
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/api/v1/payments", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    ok = ok + 1
  else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, seen = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    for code, n in pairs(t:get("statuses")) do
      seen[#seen + 1] = code .. ":" .. n
    end
  end
  local e = summary.errors
  io.write(string.format("WRK ok=%%d bad=%%d socket=%%d duration=%%d p50=%%d p95=%%d p99=%%d statuses=%%s\n",
    total_ok, total_bad, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(seen, ",")))
end
"""


def wrk_run(port: int, tokens: list[str], accounts: list[int], seconds: int) -> dict[str, Any]:
    """One wrk run of `seconds` with one thread and connection per token; its figures."""
    exe = shutil.which("wrk")
    assert exe is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            WRK_SCRIPT
            % {
                "tokens": ", ".join(f'"{t}"' for t in tokens),
                "run": uuid.uuid4().hex,
                "accounts": ", ".join(str(a) for a in accounts),
            }
        )
    try:
        n = len(tokens)
        res = subprocess.run(
            [
                exe,
                "-t",
                str(n),
                "-c",
                str(n),
                "-d",
                f"{seconds}s",
                "--timeout",
                "30s",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}/api/v1/payments",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(f.name)
    m = re.search(r"^WRK (.*)$", res.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk printed no figures:\n{res.stdout}\n{res.stderr}")
    fig = dict(kv.split("=", 1) for kv in m.group(1).split())
    return {
        "ok": int(fig["ok"]),
        "errors": int(fig["bad"]) + int(fig["socket"]),
        "statuses": fig["statuses"],
        "seconds": int(fig["duration"]) / 1e6,
        "p": [int(fig[k]) / 1e6 for k in ("p50", "p95", "p99")],
    }


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The live child processes of `pid` (the app server's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _backends(database: str) -> list[int]:
    """The PostgreSQL backends serving `database` (the app server's persistent connections)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    return [int(r[0]) for r in rows]


def cpu_sample(server_pid: int, database: str) -> dict[int, float]:
    """CPU seconds so far of the app server's processes and the database's backends, by pid
    (Linux /proc; the sets are taken again at the end, so processes that came and went count too)."""
    pids = [server_pid, *_children(server_pid), *_backends(database)]
    return {pid: _proc_cpu(pid) for pid in pids}


def checkpoint() -> None:
    """Flush PostgreSQL's dirty buffers before a measured phase, so that neither side pays for the
    writes of the setup before it (the network's accounts, pgbench's tables, the payments)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def pgbench(clients: int, seconds: int) -> float:
    exe = shutil.which("pgbench")
    if not exe:
        raise RuntimeError("pgbench is not on PATH (package postgresql-client / postgresql-contrib)")
    url = pg_fresh_database("bench_pgbench")
    name = url.rsplit("/", 1)[1]
    base = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    try:
        subprocess.run([exe, "-i", "-q", "-s", "8", *base, name], check=True, capture_output=True, text=True)
        checkpoint()
        res = subprocess.run(
            [exe, "-c", str(clients), "-j", "2", "-T", str(seconds), *base, name],
            check=True,
            capture_output=True,
            text=True,
        )
        m = re.search(r"tps = ([0-9.]+)", res.stdout)
        if not m:
            raise RuntimeError(f"pgbench printed no tps:\n{res.stdout}")
        return float(m.group(1))  # transactions per second, not money
    finally:
        pg_drop_database(url)


def app_server_args(server: str, port: int, workers: int, threads: int) -> list[str]:
    """The module and arguments that serve merezha.wsgi on 127.0.0.1:`port` (python -m …): granian
    with `workers` processes of `threads` blocking threads (0: its default), as deploy.md advises;
    gunicorn with `workers` sync workers, or gthread workers of `threads` threads."""
    common = ["--workers", str(workers), "--log-level", "warning"]
    if server == "granian":
        listen = ["--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        threads_args = ["--blocking-threads", str(threads)] if threads else []
        return ["granian", *listen, *common, *threads_args, "merezha.wsgi:application"]
    threads_args = ["--worker-class", "gthread", "--threads", str(threads)] if threads else []
    return ["gunicorn", "merezha.wsgi:application", "--bind", f"127.0.0.1:{port}", *common, *threads_args]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=250)
    ap.add_argument("--server", choices=("granian", "gunicorn", "runserver"), default="granian")
    ap.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="app server processes (default: one per core, as docs/how-to/deploy.md advises for granian)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker: granian's blocking threads (default 4, as docs/how-to/deploy.md "
        "advises), gunicorn's gthread worker threads (default 0: sync workers, one connection per request)",
    )
    ap.add_argument("--servers", type=int, default=2, help="runserver processes")
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (Debian package `wrk`; auto when installed) or Python threads",
    )
    ap.add_argument("--seconds", type=int, default=15, help="measured seconds of the wrk client")
    args = ap.parse_args()
    if args.threads is None:
        args.threads = 4 if args.server == "granian" else 0
    load = args.client
    if load == "auto":
        load = "wrk" if shutil.which("wrk") and args.server != "runserver" else "python"
    if load == "wrk" and args.server == "runserver":
        ap.error("the wrk client drives one server: use --server gunicorn or granian")
    home = tempfile.mkdtemp(prefix="bench-pay-")
    url = pg_fresh_database("bench_pay")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        django_on(url, home)
        from merezha.organisations.services import api_token_create

        net = network_build(
            providers=6,
            points=args.clients,
            accounts=args.accounts,
            seed=1,
            through=DAY - dt.timedelta(days=3),
        )
        tokens = [api_token_create(user=c, name="bench")[1] for c in net["cashiers"]]
        accounts = [pk for pk, _ in net["account_ids"]]
        from django.db import connections

        connections.close_all()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            MEREZHA_HOME=home,
            DEBUG="0",
            SECRET_KEY="bench-" + uuid.uuid4().hex,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="ERROR",
            DJANGO_SETTINGS_MODULE="merezha.settings",
            DB_CONN_MAX_AGE="300",  # the production settings (docs/how-to/deploy.md)
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        if args.server != "runserver":
            ports = [free_port()]
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        *app_server_args(args.server, ports[0], args.workers, args.threads),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        else:
            ports = [free_port() for _ in range(args.servers)]
        for port in ports if args.server == "runserver" else []:
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "merezha.cli",
                        "runserver",
                        f"127.0.0.1:{port}",
                        "--noreload",
                        "--skip-checks",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port, proc in zip(ports, servers, strict=True):
            wait_up(port, proc)
        checkpoint()
        load_at_start = os.getloadavg()[0]
        cpu_per_payment: tuple[float, float] | None = None
        if load == "wrk":
            wrk_run(ports[0], tokens, accounts, 2)  # warm-up: connections, imports, caches
            database = url.rsplit("/", 1)[1]
            server_pids = {servers[0].pid, *_children(servers[0].pid)}
            before = cpu_sample(servers[0].pid, database)
            measured = wrk_run(ports[0], tokens, accounts, args.seconds)
            after = cpu_sample(servers[0].pid, database)
            used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
            server_pids |= set(_children(servers[0].pid))
            cpu_per_payment = (
                sum(v for pid, v in used.items() if pid in server_pids) / max(measured["ok"], 1),
                sum(v for pid, v in used.items() if pid not in server_pids) / max(measured["ok"], 1),
            )
            ok, errors = measured["ok"], measured["errors"]
            rate = ok / measured["seconds"]
            percentiles = measured["p"]
            if measured["statuses"]:
                print(f"statuses other than 201 (status:count): {measured['statuses']}", file=sys.stderr)
        else:
            results: list[dict] = [{} for _ in range(args.clients)]
            threads = [
                threading.Thread(
                    target=client,
                    args=(ports[i % len(ports)], tokens[i], accounts, args.per_client, i, results[i]),
                )
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            start = min(r["start"] for r in results)
            end = max(r["end"] for r in results)
            ok = sum(r["ok"] for r in results)
            errors = sum(r["errors"] for r in results)
            lat = sorted(x for r in results for x in r["latencies"])
            rate = ok / (end - start)
            percentiles = [lat[min(len(lat) - 1, int(p * len(lat)))] for p in (0.5, 0.95, 0.99)]

        for proc in servers:
            proc.terminate()
            proc.wait(timeout=20)
        servers = []
        from django.db import connections

        connections.close_all()
        pg_drop_database(url)  # the payments' database is done with: pgbench runs alone
        tps = pgbench(args.clients, args.pgbench_seconds)
        rows = [
            (
                "clients / server",
                f"{args.clients} / "
                + (
                    f"{args.servers} runserver"
                    if args.server == "runserver"
                    else f"{args.server}, {args.workers} workers"
                    + (f" × {args.threads} threads" if args.threads else "")
                ),
            ),
            ("client", "wrk (C)" if load == "wrk" else "Python threads"),
            ("payments accepted (201)", ok),
            ("errors", errors),
            ("payments/s over HTTP", f"{rate:.1f}"),
            ("latency p50 / p95 / p99", " / ".join(f"{p * 1000:.1f} ms" for p in percentiles)),
            (
                "CPU per payment: app server / PostgreSQL",
                " / ".join(f"{c * 1000:.2f} ms" for c in cpu_per_payment) if cpu_per_payment else "—",
            ),
            ("pgbench TPC-B tps (same clients)", f"{tps:.1f}"),
            ("ratio payments/s ÷ pgbench tps", f"{rate / tps:.3f}"),
            ("target (2 cores)", "≥ 150 payments/s, p95 ≤ 100 ms"),
            ("cpu cores", os.cpu_count()),
            ("load average (1 min) at start / end", f"{load_at_start:.1f} / {os.getloadavg()[0]:.1f}"),
        ]
        print(table(("figure", "value"), rows))
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=20)
        from django.db import connections

        connections.close_all()
        pg_drop_database(url)
        _ = PG_ADMIN_URL


if __name__ == "__main__":
    main()
