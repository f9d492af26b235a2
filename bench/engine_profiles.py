"""Row 11 of ``make bench``: the engine's own settings, measured.

Each profile is a set of engine settings (``SERVER_*`` and ``DATABASE_*`` variables, ``PG_*`` for
the engine database's PostgreSQL parameters, or
``HATCHET_ENGINE_RABBITMQ_URL`` for RabbitMQ as its message queue). For each profile and
repetition (profiles interleaved), the row starts ``scripts/hatchet-engine start`` with them on
its own ports, its database on the bench's engine cluster (``services.engine_database_url``),
and a ``runworker --slots N``, and measures:

- throughput: ``jobs`` no-op runs enqueued with ``delay_many``, until the last has run;
- latency at low load: runs enqueued one every 20 ms, enqueue to start (p50, p95);
- where the time goes: the CPU seconds that the engine, PostgreSQL (the whole cluster) and
  the worker spent per 1,000 runs of the throughput phase, and the engine database's commits.

    python bench/engine_profiles.py [--repeat N] [--jobs N] [--slots N]
        [--profiles name,name] [--try 'name:KEY=VALUE,KEY=VALUE'] [--statements]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import probe, services
from bench.common import CACHE, log, rotate, spread, wait_count
from bench.services import ROOT
from django_hatchet.testing.processes import READY_LINE, EngineProcess, NotReady

GRPC_PORT = "7377"
API_PORT = "9188"
DATABASE = "hatchet_engine_tuning"
#: A profile's key with this prefix is a PostgreSQL parameter of the engine's database
#: (``PG_synchronous_commit=off``), set for its sessions while the profile runs.
PG_PREFIX = "PG_"
IDLE_SECONDS = 5.0  # the engine database's commits per second with nothing to run
RABBITMQ = "rabbitmq"  # a profile's value for HATCHET_ENGINE_RABBITMQ_URL: the bench's node

#: Row 11's profiles; the first is the reference. The script's own defaults (``{}``) are the
#: tuned buffers; RabbitMQ is one variable away; the last is measured, not recommended (a
#: crash of the engine's PostgreSQL may lose its last commits: runs the engine had accepted).
PROFILES: dict[str, dict[str, str]] = {
    "hatchet-defaults": {
        "SERVER_DEFAULT_BUFFER_SIZE": "10",
        "SERVER_DEFAULT_BUFFER_FLUSH_INTERVAL": "10ms",
    },
    "tuned": {},
    "tuned-rabbitmq": {"HATCHET_ENGINE_RABBITMQ_URL": RABBITMQ},
    "tuned-rabbitmq-async-commit": {
        "HATCHET_ENGINE_RABBITMQ_URL": RABBITMQ,
        "PG_synchronous_commit": "off",
    },
}
#: The profile the bench's other engine rows run on (``make bench``: rows 3 to 9).
BENCH_PROFILE = "tuned-rabbitmq"


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes (and of their threads), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def query(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the engine's PostgreSQL cluster (as its superuser: the bench's role
    cannot ALTER the engine's database or read every statement's figures)."""
    out = subprocess.run(
        ["su", "postgres", "-c", f"psql -p {services.ENGINE_PG_PORT} -d {DATABASE} -qtA -F '|'"],
        input=sql if params is None else sql % tuple(params),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def commits() -> int:
    """Transactions committed in the engine's database so far (pg_stat_database)."""
    rows = query(f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{DATABASE}'")
    return int(rows[0][0]) if rows else 0


def statements(top: int = 12) -> list[dict[str, Any]]:
    """The engine's statements that took the most time since the last reset
    (pg_stat_statements, when the cluster loads it)."""
    rows = query(
        "SELECT round(total_exec_time::numeric, 0), calls, rows,"
        " regexp_replace(left(query, 110), '\\s+', ' ', 'g')"
        " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
        f" WHERE d.datname = '{DATABASE}' ORDER BY total_exec_time DESC LIMIT {top}"
    )
    return [{"ms": float(r[0]), "calls": int(r[1]), "rows": int(r[2]), "query": r[3]} for r in rows]


def enable_statements() -> None:
    """Load pg_stat_statements in the engine's cluster (a restart, the first time)."""
    loaded = query("SHOW shared_preload_libraries")
    if "pg_stat_statements" not in (loaded[0][0] if loaded else ""):
        query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        version = query("SHOW server_version_num")[0][0][:2]
        subprocess.run(["pg_ctlcluster", version, services.ENGINE_CLUSTER, "restart"], check=True)
    query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def set_database(settings: dict[str, str]) -> None:
    """Set PostgreSQL parameters for the engine database's new sessions (ALTER DATABASE)."""
    for name, value in settings.items():
        query(f"ALTER DATABASE {DATABASE} SET {name} = '{value}'")


def reset_database(settings: dict[str, str]) -> None:
    for name in settings:
        query(f"ALTER DATABASE {DATABASE} RESET {name}")


class Candidate:
    """One profile's engine and worker, started for one measurement and stopped after."""

    def __init__(
        self, name: str, env: dict[str, str], rabbitmq_url: str | None, statements: bool = False
    ) -> None:
        self.name = name
        self.statements = statements
        self.env = dict(env)
        if self.env.get("HATCHET_ENGINE_RABBITMQ_URL") == RABBITMQ:
            if rabbitmq_url is None:
                raise RuntimeError(f"profile {name} needs RabbitMQ, and none was started")
            self.env["HATCHET_ENGINE_RABBITMQ_URL"] = rabbitmq_url

    def measure(
        self, engine: EngineProcess, jobs: int, slots: int, latency_jobs: int
    ) -> dict[str, Any]:
        from bench.benchapp.tasks import noop
        from django_hatchet.engine import client

        engine.extra_env = {
            "HATCHET_ENGINE_DATABASE_URL": services.engine_database_url(DATABASE),
            **{k: v for k, v in self.env.items() if not k.startswith(PG_PREFIX)},
        }
        database_settings = {
            k.removeprefix(PG_PREFIX): v for k, v in self.env.items() if k.startswith(PG_PREFIX)
        }
        set_database(database_settings)
        try:
            variables = engine.start(900)
        except NotReady as error:
            reset_database(database_settings)
            raise RuntimeError(f"profile {self.name}: the engine did not start: {error}") from None
        ns = f"b{uuid.uuid4().hex[:6]}tune"
        worker = services.django_worker(variables, ns, slots, CACHE / "tune-worker.log")
        try:
            worker.wait_for(READY_LINE, 120)
            for key, value in services.client_env(variables, ns).items():
                if key.startswith("HATCHET_CLIENT_"):
                    os.environ[key] = value
            client.reset_client()
            client.get_client()
            warm = CACHE / f"tune-warm-{uuid.uuid4().hex[:6]}"
            noop.delay_many([(str(warm), 0.0)] * 50)
            wait_count(warm, 50, 120)

            idle_before = commits()
            time.sleep(IDLE_SECONDS)
            idle_commits = (commits() - idle_before) / IDLE_SECONDS

            engine_pids = [engine.process.pid, *services.descendants(engine.process.pid)]  # type: ignore[union-attr]
            worker_pids = [worker.pid, *services.descendants(worker.pid)]
            pg = postgres_pids()
            before = [cpu_seconds(engine_pids), cpu_seconds(pg), cpu_seconds(worker_pids)]
            commits_before = commits()
            if self.statements:
                query("SELECT pg_stat_statements_reset()")
            path = CACHE / f"tune-{uuid.uuid4().hex[:8]}"
            start = time.perf_counter()
            noop.delay_many([(str(path), 0.0)] * jobs)
            end = wait_count(path, jobs, 900)
            time.sleep(1.5)  # PostgreSQL publishes a busy backend's counts once a second
            after = [
                cpu_seconds(engine_pids),
                cpu_seconds(postgres_pids()),
                cpu_seconds(worker_pids),
            ]
            per_k = 1000 / jobs
            cpu = {
                part: (b - a) * per_k
                for part, a, b in zip(("engine", "postgres", "worker"), before, after, strict=True)
            }
            engine_commits = (commits() - commits_before) * per_k
            top = statements() if self.statements else []

            latency = CACHE / f"tune-lat-{uuid.uuid4().hex[:8]}"
            for _ in range(latency_jobs):
                noop.delay(str(latency), time.time())
                time.sleep(0.02)
            wait_count(latency, latency_jobs, 120)
            values = sorted(probe.latencies(str(latency)))
        finally:
            worker.stop()
            engine.stop()
            reset_database(database_settings)
        return {
            "rate": jobs / (end - start),
            "p50_ms": values[len(values) // 2] * 1000,
            "p95_ms": values[int(len(values) * 0.95) - 1] * 1000,
            "cpu_s_per_1000": cpu,
            "commits_per_1000": engine_commits,
            "idle_commits_per_s": idle_commits,
            "statements": top,
        }


def measure(
    profiles: dict[str, dict[str, str]],
    repeat: int,
    jobs: int,
    slots: int,
    latency_jobs: int = 100,
    with_statements: bool = False,
) -> dict[str, Any]:
    """Each profile ``repeat`` times, interleaved; medians and spreads, and each profile's
    throughput against the first one's. ``with_statements``: the engine's costliest SQL
    statements of each throughput phase too (pg_stat_statements; it costs some throughput)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    services.engine_database_url(DATABASE)  # The engine's cluster is up, with the database.
    if with_statements:
        enable_statements()
    rabbitmq = rabbitmq_url = None
    if any(env.get("HATCHET_ENGINE_RABBITMQ_URL") == RABBITMQ for env in profiles.values()):
        rabbitmq, rabbitmq_url = services.start_rabbitmq(CACHE)
    candidates = [
        Candidate(name, env, rabbitmq_url, with_statements) for name, env in profiles.items()
    ]
    engine = EngineProcess(
        ROOT / "scripts" / "hatchet-engine",
        CACHE,
        grpc_port=GRPC_PORT,
        api_port=API_PORT,
        database=DATABASE,
        log_name="tune-engine-{start}.log",
    )
    seen: dict[str, list[dict[str, Any]]] = {c.name: [] for c in candidates}
    try:
        for rep in range(repeat):
            for candidate in rotate(candidates, rep):
                result = candidate.measure(engine, jobs, slots, latency_jobs)
                seen[candidate.name].append(result)
                cpu = ", ".join(f"{k} {v:.1f}" for k, v in result["cpu_s_per_1000"].items())
                log(
                    f"engine profile {candidate.name} rep {rep + 1}: {result['rate']:.0f}/s, "
                    f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                    f"CPU s/1000 runs: {cpu}, commits/1000 runs {result['commits_per_1000']:.0f}, "
                    f"idle commits/s {result['idle_commits_per_s']:.0f}"
                )
    finally:
        engine.stop()
        if rabbitmq is not None:
            rabbitmq.stop()
    first = candidates[0].name
    out: dict[str, Any] = {
        "jobs": jobs,
        "slots": slots,
        "latency_jobs": latency_jobs,
        "profiles": {name: profiles[name] for name in seen},
        "results": {},
    }
    for name, results in seen.items():
        out["results"][name] = {
            "rate": spread([r["rate"] for r in results]),
            "p50_ms": spread([r["p50_ms"] for r in results]),
            "p95_ms": spread([r["p95_ms"] for r in results]),
            "cpu_s_per_1000": {
                part: statistics.median(r["cpu_s_per_1000"][part] for r in results)
                for part in ("engine", "postgres", "worker")
            },
            "commits_per_1000": statistics.median(r["commits_per_1000"] for r in results),
            "idle_commits_per_s": statistics.median(r["idle_commits_per_s"] for r in results),
            "statements": results[-1]["statements"],
        }
    base = out["results"][first]["rate"]["median"]
    for result in out["results"].values():
        result["ratio"] = result["rate"]["median"] / base
    return out


def parse_try(text: str) -> tuple[str, dict[str, str]]:
    name, _, pairs = text.partition(":")
    env = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    return name, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--latency-jobs", type=int, default=100)
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument(
        "--statements", action="store_true", help="the engine's costliest SQL (slower)"
    )
    parser.add_argument("--try", dest="tries", action="append", default=[], metavar="NAME:K=V,...")
    options = parser.parse_args()
    profiles = {name: PROFILES[name] for name in options.profiles.split(",") if name}
    profiles.update(parse_try(text) for text in options.tries)
    CACHE.mkdir(exist_ok=True)
    result = measure(
        profiles,
        options.repeat,
        options.jobs,
        options.slots,
        options.latency_jobs,
        options.statements,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()


def summary(result: dict[str, Any], verdict: Any) -> list[str]:
    """The summary table's lines of row 11: each profile against the first (the default)."""
    names = list(result["results"])
    first = result["results"][names[0]]
    lines = []
    for name in names[1:]:
        r = result["results"][name]
        ratio = r["ratio"]
        p50 = r["p50_ms"]["median"] / first["p50_ms"]["median"]
        lines.append(
            f"| 11 | engine profile `{name}` vs `{names[0]}`: throughput (p50 latency)"
            f" | {ratio:.2f}x ({p50:.2f}x) | >= 2x | {verdict(ratio >= 2)} |"
        )
    return lines


def section(result: dict[str, Any], fmt: Any) -> list[str]:
    """Row 11's section of the results."""
    lines = [
        "### 11. Engine profiles\n",
        f"`bench/engine_profiles.py`: for each profile, a fresh engine and a `runworker --slots"
        f" {result['slots']}`; {result['jobs']:,} no-op runs by `delay_many`, then"
        f" {result['latency_jobs']} runs one every 20 ms (enqueue to start). CPU: seconds per"
        " 1,000 runs of the throughput phase (engine, the whole PostgreSQL, worker); commits:"
        " the engine database's, per 1,000 runs and per second idle.\n",
        "| profile | settings | runs/s | spread | p50 | p95 | CPU engine/PG/worker | commits"
        " /1000 runs | idle commits/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result["results"].items():
        settings = ", ".join(f"`{k}={v}`" for k, v in result["profiles"][name].items()) or "-"
        rate, rate_spread = fmt(r["rate"])
        p50, _ = fmt(r["p50_ms"], " ms", 1, 1)
        p95, _ = fmt(r["p95_ms"], " ms", 1, 1)
        cpu = "/".join(f"{r['cpu_s_per_1000'][p]:.1f}" for p in ("engine", "postgres", "worker"))
        lines.append(
            f"| {name} | {settings} | {rate} | {rate_spread} | {p50} | {p95} | {cpu} s"
            f" | {r['commits_per_1000']:,.0f} | {r['idle_commits_per_s']:.0f} |"
        )
    lines.append("")
    return lines
