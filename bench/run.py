# ruff: noqa: E501  (the report is Markdown, one table row a line)
"""``make bench``: every figure of docs/benchmarks.md, measured side by side in one run.

Starts its own Hatchet engine (scripts/hatchet-engine, on ports 7277/9088 and the database
hatchet_engine_bench) and its own Redis (port 6399), runs the rows of issue 7 with the
candidates interleaved in each repetition, and writes the medians, spreads and ratios
between the markers in docs/benchmarks.md, and the scaling plot to docs/img/.

    python bench/run.py [--repeat N] [--rows 1,2,...] [--no-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import e2e, engine_profiles, peers, request_path, services
from bench.common import CACHE, log, namespace, rotate, spread, wait_count
from bench.services import PYTHON, ROOT, Process
from django_hatchet.testing.processes import READY_LINE

DOCS = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "bench-scaling.png"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
SLOTS = 10  # runworker's default (HATCHET_WORKER_SLOTS)


# Row 1 -------------------------------------------------------------------------------------


def row_inline(repeat: int) -> dict[str, Any]:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "inline_dispatch.py"), "--repeat", str(max(repeat, 9))],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ratios = {}
    for line in out.splitlines():
        if line.startswith("django-hatchet / "):
            peer, _, rest = line[len("django-hatchet / ") :].partition("=")
            ratios[peer.strip()] = float(rest.split()[0])
    return {"output": out.strip(), "ratios": ratios}


# Row 2 -------------------------------------------------------------------------------------


def row_web_boot(repeat: int) -> dict[str, Any]:
    """Fresh interpreters, the candidates interleaved. Every module is read from its bytecode,
    as pip installs a package (it compiles the wheel's modules): Django's were compiled when
    the virtualenv was made, django_hatchet's and the bench's are compiled here. One more
    candidate imports django_hatchet from a copy of its source with no bytecode (a checkout
    run with PYTHONDONTWRITEBYTECODE=1, as this machine is), to show what compiling costs."""
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", str(ROOT / "django_hatchet"), str(ROOT / "bench")],
        check=True,
    )
    source = CACHE / "web-boot-source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        ROOT / "django_hatchet",
        source / "django_hatchet",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    modes = ["plain", "hatchet", "integrations", "source", "sdk"]
    seconds: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    wall: dict[str, list[float]] = {m: [] for m in modes}
    modules: dict[str, int] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env["PYTHONPATH"] = str(ROOT)
    # The copy comes first on the path (before the editable install's finder), and nothing
    # writes bytecode for it.
    source_env = {
        **env,
        "PYTHONPATH": f"{source}{os.pathsep}{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # Start-up varies with the machine's load by more than what is measured: many fresh
    # interpreters, and the cost is the median of the differences within each repetition.
    for rep in range(max(7 * repeat, 21)):
        for mode in rotate(modes, rep):
            start = time.perf_counter()
            out = subprocess.run(
                [
                    PYTHON,
                    str(ROOT / "bench" / "web_boot.py"),
                    "hatchet" if mode == "source" else mode,
                ],
                check=True,
                capture_output=True,
                text=True,
                env=source_env if mode == "source" else env,
            ).stdout
            wall[mode].append(time.perf_counter() - start)
            data = json.loads(out)
            if mode == "source" and not data["hatchet_from"].startswith(str(source)):
                raise RuntimeError(f"row 2 imported django_hatchet from {data['hatchet_from']}")
            seconds[mode].append(data["seconds"])
            cpu[mode].append(data["cpu"])
            modules[mode] = data["sdk_modules"]
    shutil.rmtree(source)

    def added(values: dict[str, list[float]], mode: str = "hatchet") -> float:
        pairs = zip(values[mode], values["plain"], strict=True)
        return statistics.median(ours - peer for ours, peer in pairs) * 1000

    return {
        "repetitions": len(cpu["plain"]),
        "seconds": {m: spread(v) for m, v in seconds.items()},
        "cpu": {m: spread(v) for m, v in cpu.items()},
        "added_cpu_ms": added(cpu),
        "added_cpu_source_ms": added(cpu, "source"),
        "added_cpu_integrations_ms": added(cpu, "integrations"),
        "wall": {m: spread(v) for m, v in wall.items()},
        "sdk_modules": modules,
        "added_ms": added(seconds),
        "added_wall_ms": added(wall),
    }


# The engine side ---------------------------------------------------------------------------


class Bench:
    """The engine, Redis and the clients of this process."""

    def __init__(self, engine: dict[str, str], redis_url: str) -> None:
        self.engine = engine
        self.redis_url = redis_url
        self.processes: list[Process] = []
        for key, value in services.client_env(engine, "unused").items():
            if key.startswith("HATCHET_CLIENT_"):
                os.environ[key] = value
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        import django

        django.setup()
        from bench.benchapp.tasks import noop

        self.noop = noop

    # Clients, one namespace per benchmark.

    def ours(self, ns: str) -> Any:
        from django_hatchet.engine import client

        os.environ["HATCHET_CLIENT_NAMESPACE"] = ns
        client.reset_client()
        client.get_client()  # Built now, with this namespace (the SDK reads it from the env).
        return self.noop

    def register_ours(self, ns: str) -> None:
        from django_hatchet.engine import dispatch

        self.ours(ns)
        dispatch.ensure_registered(self.noop.name, self.noop.options)

    def raw(self, ns: str, register: bool = False) -> Any:
        from hatchet_sdk import ClientConfig, Hatchet

        from bench.raw_worker import define

        os.environ["HATCHET_CLIENT_NAMESPACE"] = ns
        hatchet = Hatchet(config=ClientConfig())
        task = define(hatchet)
        if register:
            hatchet._client.admin.put_workflow(task.to_proto())
        return task

    def start(self, process: Process, ready: str = READY_LINE) -> Process:
        self.processes.append(process)
        process.wait_for(ready, 120)
        return process

    def stop(self, *processes: Process) -> None:
        for p in processes:
            p.stop()
            if p in self.processes:
                self.processes.remove(p)

    def stop_all(self) -> None:
        self.stop(*list(self.processes))


def probe_input(path: Path, enqueued_at: float = 0.0) -> Any:
    from bench.raw_worker import Probe

    return Probe(path=str(path), enqueued_at=enqueued_at)


def raw_bulk(task: Any, path: Path, n: int) -> None:
    items = [task.create_bulk_run_item(input=probe_input(path)) for _ in range(n)]
    for i in range(0, n, 1000):
        task.run_many(items[i : i + 1000], wait_for_result=False)


def row_enqueue(bench: Bench, repeat: int, calls: int, bulk: int, drain: bool) -> dict[str, Any]:
    """Rows 3 and 4: enqueue only (no worker runs meanwhile); then drain the queues."""
    ns_ours, ns_raw = namespace("enq"), namespace("enqraw")
    bench.register_ours(ns_ours)
    raw = bench.raw(ns_raw, register=True)
    noop = bench.ours(ns_ours)
    drain_ours, drain_raw = CACHE / f"{ns_ours}.drain", CACHE / f"{ns_raw}.drain"
    for path in (drain_ours, drain_raw):
        path.unlink(missing_ok=True)
    sent = {"ours": 0, "raw": 0}

    def ours_loop(n: int) -> None:
        for _ in range(n):
            noop.delay(str(drain_ours), 0.0)
        sent["ours"] += n

    def raw_loop(n: int) -> None:
        item = probe_input(drain_raw)
        for _ in range(n):
            raw.run(item, wait_for_result=False)
        sent["raw"] += n

    def ours_many(n: int) -> None:
        noop.delay_many([(str(drain_ours), 0.0)] * n)
        sent["ours"] += n

    def raw_many(n: int) -> None:
        raw_bulk(raw, drain_raw, n)
        sent["raw"] += n

    ours_loop(20)  # warm up: connections, registries
    raw_loop(20)
    single: dict[str, Callable[[int], None]] = {"delay": ours_loop, "raw run": raw_loop}
    blocks: dict[str, tuple[Callable[[int], None], int]] = {
        "delay loop x1000": (ours_loop, 2 * calls),
        "delay_many": (ours_many, bulk),
        "raw run_many": (raw_many, bulk),
    }
    rates: dict[str, list[float]] = {name: [] for name in [*single, *blocks]}
    for rep in range(3 * repeat):
        # Row 3 alternates call by call, so that the machine's drift hits both alike.
        spent = dict.fromkeys(single, 0.0)
        for _ in range(calls):
            for name in rotate(list(single), rep):
                start = time.perf_counter()
                single[name](1)
                spent[name] += time.perf_counter() - start
        for name, seconds in spent.items():
            rates[name].append(calls / seconds)
        if rep < repeat:
            for name in rotate(list(blocks), rep):
                fn, n = blocks[name]
                start = time.perf_counter()
                fn(n)
                rates[name].append(n / (time.perf_counter() - start))
        log(f"enqueue rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items()))
    if drain:  # Every run enqueued above must run (a check that none was lost).
        workers = [
            services.django_worker(bench.engine, ns_ours, 64, CACHE / "drain-ours.log"),
            services.raw_worker(bench.engine, ns_raw, 64, CACHE / "drain-raw.log"),
        ]
        for w in workers:
            bench.start(w)
        wait_count(drain_ours, sent["ours"], 1800)
        wait_count(drain_raw, sent["raw"], 1800)
        bench.stop(*workers)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "rates": {k: spread(v) for k, v in rates.items()},
        "calls": calls,
        "bulk": bulk,
        "sent": sent,
        "drained": drain,
        "ratio_delay_vs_raw": med["delay"] / med["raw run"],
        "ratio_many_vs_loop": med["delay_many"] / med["delay loop x1000"],
        "ratio_many_vs_raw_many": med["delay_many"] / med["raw run_many"],
    }


def row_workflows(bench: Bench, repeat: int, members: int) -> dict[str, Any]:
    """Row 9: a chain of 3, a declared workflow of 3 steps and a group of ``members``
    steps, end to end (apply, then wait for the result), against the same shapes with the
    raw SDK: a DAG workflow of 3 tasks (for both), and ``run_many`` of one task."""
    from hatchet_sdk import ClientConfig, Hatchet

    from bench.raw_worker import Step, define_workflows
    from django_hatchet import group

    ns_ours, ns_raw = namespace("wf"), namespace("wfraw")
    ours_w = bench.start(services.django_worker(bench.engine, ns_ours, SLOTS, CACHE / "wf.log"))
    raw_w = bench.start(services.raw_worker(bench.engine, ns_raw, SLOTS, CACHE / "wf-raw.log"))
    bench.ours(ns_ours)
    from bench.benchapp.flows import chain3 as declared
    from bench.benchapp.tasks import step

    os.environ["HATCHET_CLIENT_NAMESPACE"] = ns_raw
    chain3, raw_step = define_workflows(Hatchet(config=ClientConfig()))

    def ours_chain() -> None:
        assert (step.s(0) | step.s() | step.s()).delay().get(timeout=120) == 3

    def raw_chain() -> None:
        assert chain3.run(Step(n=0))["third"]["n"] == 3

    def ours_workflow() -> None:
        assert declared.delay(0).get(timeout=120)["third"] == 3

    def ours_group() -> None:
        assert len(group(step.si(i) for i in range(members)).delay().get(timeout=300)) == members

    def raw_group() -> None:
        items = [raw_step.create_bulk_run_item(input=Step(n=i)) for i in range(members)]
        assert len(raw_step.run_many(items)) == members

    shapes = {
        "chain of 3": {"django-hatchet": ours_chain, "raw SDK (DAG workflow)": raw_chain},
        "workflow() of 3 steps": {
            "django-hatchet": ours_workflow,
            "raw SDK (DAG workflow)": raw_chain,
        },
        f"group of {members}": {
            "django-hatchet": ours_group,
            "raw SDK (run_many)": raw_group,
        },
    }
    for candidates in shapes.values():  # warm up: registration, connections
        for run in candidates.values():
            run()
    seconds: dict[str, dict[str, list[float]]] = {
        shape: {name: [] for name in candidates} for shape, candidates in shapes.items()
    }
    for rep in range(3 * repeat):  # cheap, and noisy
        for shape, candidates in shapes.items():
            for name in rotate(list(candidates), rep):
                start = time.perf_counter()
                candidates[name]()
                seconds[shape][name].append(time.perf_counter() - start)
        log(
            f"workflows rep {rep + 1}: "
            + "; ".join(
                f"{shape}: " + ", ".join(f"{n} {v[-1] * 1000:.0f} ms" for n, v in by.items())
                for shape, by in seconds.items()
            )
        )
    bench.stop(ours_w, raw_w)
    ratios = {}
    for shape, by in seconds.items():
        ours, raw = (statistics.median(v) for v in by.values())
        ratios[shape] = ours / raw
    return {
        "members": members,
        "seconds": {
            shape: {name: spread(v) for name, v in by.items()} for shape, by in seconds.items()
        },
        "ratios": ratios,
    }


def rss_total(process: Process) -> tuple[int, int]:
    """(RSS of the worker's main process, of it and its children), in KiB."""
    main = services.rss_kib(process.pid)
    return main, main + sum(services.rss_kib(p) for p in services.descendants(process.pid))


def row_memory(bench: Bench, jobs: int) -> dict[str, Any]:
    """Row 7: worker RSS idle, after 1,000 jobs, and after ``jobs`` jobs."""
    ns_ours, ns_raw = namespace("mem"), namespace("memraw")
    ours_w = bench.start(
        services.django_worker(bench.engine, ns_ours, SLOTS, CACHE / "mem-ours.log")
    )
    raw_w = bench.start(services.raw_worker(bench.engine, ns_raw, SLOTS, CACHE / "mem-raw.log"))
    noop = bench.ours(ns_ours)
    raw = bench.raw(ns_raw)
    time.sleep(5)
    result: dict[str, dict[str, Any]] = {
        "django-hatchet runworker": {"idle": rss_total(ours_w)},
        "raw SDK worker": {"idle": rss_total(raw_w)},
    }
    path_ours, path_raw = CACHE / f"{ns_ours}.mem", CACHE / f"{ns_raw}.mem"
    done = 0
    for step in (1000, jobs):
        for chunk in range(done, step, 1000):
            n = min(1000, step - chunk)
            noop.delay_many([(str(path_ours), 0.0)] * n)
            raw_bulk(raw, path_raw, n)
            wait_count(path_ours, chunk + n, 600)
            wait_count(path_raw, chunk + n, 600)
        done = step
        time.sleep(2)
        result["django-hatchet runworker"][f"after {step}"] = rss_total(ours_w)
        result["raw SDK worker"][f"after {step}"] = rss_total(raw_w)
        log(f"memory after {step}: {result}")
    bench.stop(ours_w, raw_w)
    for values in result.values():
        values["growth"] = values[f"after {jobs}"][0] / values["idle"][0] - 1
        values["growth_after_warmup"] = values[f"after {jobs}"][0] / values["after 1000"][0] - 1
    return {"jobs": jobs, "rss_kib": result}


def row_scaling(bench: Bench, repeat: int, jobs: int) -> dict[str, Any]:
    """Row 8: throughput at slots 1/4/16/64 (one process), and 1/2/4 processes of 16 slots;
    the raw SDK at the same points, interleaved."""
    configs = [(1, s) for s in (1, 4, 16, 64)] + [(2, 16), (4, 16)]
    points = []
    for processes, slots in configs:
        ns_ours, ns_raw = namespace("sc"), namespace("scraw")
        workers = []
        for i in range(processes):  # One after the other: the engine fails concurrent
            # registrations of one workflow ("An internal error occurred").
            workers.append(
                bench.start(
                    services.django_worker(
                        bench.engine, ns_ours, slots, CACHE / f"sc-ours-{i}.log", name=f"bench-{i}"
                    )
                )
            )
            workers.append(
                bench.start(
                    services.raw_worker(bench.engine, ns_raw, slots, CACHE / f"sc-raw-{i}.log")
                )
            )
        noop = bench.ours(ns_ours)
        raw = bench.raw(ns_raw)
        n = jobs if slots > 1 else jobs // 4
        senders = {
            "ours": lambda p, k, noop=noop: noop.delay_many([(str(p), 0.0)] * k),
            "raw": lambda p, k, raw=raw: raw_bulk(raw, p, k),
        }
        for warm in senders.values():  # a fresh worker's first runs start its thread pool
            path = CACHE / f"warm-{uuid.uuid4().hex[:8]}"
            warm(path, 50)
            wait_count(path, 50, 300)
        rates: dict[str, list[float]] = {"ours": [], "raw": []}
        for rep in range(repeat):
            for name in rotate(list(senders), rep):
                path = CACHE / f"sc-{uuid.uuid4().hex[:8]}"
                start = time.perf_counter()
                senders[name](path, n)
                rates[name].append(n / (wait_count(path, n, 900) - start))
                time.sleep(0.5)
        bench.stop(*workers)
        point = {
            "processes": processes,
            "slots": slots,
            "jobs": n,
            "ours": spread(rates["ours"]),
            "raw": spread(rates["raw"]),
        }
        point["ratio"] = point["ours"]["median"] / point["raw"]["median"]
        points.append(point)
        log(
            f"scaling {processes}x{slots}: ours {point['ours']['median']:.0f}/s, raw {point['raw']['median']:.0f}/s"
        )
    return {"points": points}


def run_profile(engine: dict[str, str]) -> dict[str, Any]:
    env = services.client_env(engine, namespace("prof"))
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "profile_paths.py"), str(CACHE)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# Reporting ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from importlib.metadata import version

    import django
    import hatchet_sdk  # noqa: F401

    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split()[1]
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{os.cpu_count()} x {cpu}, {int(mem) // 1024 // 1024} GB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "hatchet-sdk": version("hatchet-sdk"),
        "engine": "hatchet v0.105.0 (scripts/hatchet-engine; rows 3-9: profile"
        f" {engine_profiles.BENCH_PROFILE}, its database on a PostgreSQL cluster of its own)",
        "celery": version("celery"),
        "redis": redis.split()[2].removeprefix("v=") if redis else "?",
        "postgres": pg,
        "grpcio": version("grpcio"),
    }


def fmt(
    x: dict[str, float], unit: str = "/s", scale: float = 1.0, digits: int = 0
) -> tuple[str, str]:
    f = f"{{:.{digits}f}}"
    return (
        f.format(x["median"] * scale) + unit,
        f"{f.format(x['min'] * scale)}-{f.format(x['max'] * scale)}",
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    m = results["machine"]
    add(f"Run on {m['date']} with `make bench` ({results['repeat']} repetitions unless noted;")
    add("median, spread min-max, ratio of medians). Load average (1/5/15 min) at start:")
    add(f"{results['load_start']}; at the end: {results.get('load_end', '?')}.")
    add("")
    add("| | |\n|---|---|")
    for key, value in m.items():
        add(f"| {key} | {value} |")
    add("")
    add("### Summary\n")
    add("| # | What | Ratio | Goal | |")
    add("|---|---|---|---|---|")
    r = results
    if "inline" in r:
        ratio = r["inline"]["ratios"].get("ImmediateBackend", float("nan"))
        add(
            f"| 1 | inline `delay().get()` vs ImmediateBackend | {ratio:.3f}x | <= 0.25x | {verdict(ratio <= 0.25)} |"
        )
        add(
            f"| 1 | inline `delay().get()` vs Celery eager | {r['inline']['ratios'].get('Celery eager', float('nan')):.3f}x | - | |"
        )
    if "web" in r:
        w = r["web"]
        ok = w["sdk_modules"]["hatchet"] == 0 and w["added_cpu_ms"] < 20
        add(
            f"| 2 | no-token web process: added by django_hatchet (CPU; wall) | {w['added_cpu_ms']:+.1f} ms; {w['added_ms']:+.1f} ms, {w['sdk_modules']['hatchet']} SDK modules | < 20 ms, 0 modules | {verdict(ok)} |"
        )
    if "enqueue" in r:
        e = r["enqueue"]
        add(
            f"| 3 | `.delay()` loop vs raw `run(wait_for_result=False)` | {e['ratio_delay_vs_raw']:.2f}x | >= 0.9x | {verdict(e['ratio_delay_vs_raw'] >= 0.9)} |"
        )
        add(
            f"| 4 | `delay_many(1000)` vs `.delay()` in a loop | {e['ratio_many_vs_loop']:.1f}x | >= 10x | {verdict(e['ratio_many_vs_loop'] >= 10)} |"
        )
        add(
            f"| 4 | `delay_many(1000)` vs raw `run_many` | {e['ratio_many_vs_raw_many']:.2f}x | >= 0.9x | {verdict(e['ratio_many_vs_raw_many'] >= 0.9)} |"
        )
    if "e2e" in r:
        lines.extend(e2e.summary(r["e2e"], verdict))
    if "memory" in r:
        mem = r["memory"]["rss_kib"]
        ours = mem["django-hatchet runworker"]
        add(
            f"| 7 | runworker RSS growth, idle to {r['memory']['jobs']:,} jobs | {ours['growth'] * 100:+.1f} % | < 10 % | {verdict(ours['growth'] < 0.10)} |"
        )
    if "scaling" in r:
        best = max(r["scaling"]["points"], key=lambda p: p["ours"]["median"])
        add(
            f"| 8 | scaling: best point {best['processes']} process(es) x {best['slots']} slots | {best['ours']['median']:.0f} runs/s ({best['ratio']:.2f}x raw) | a curve | see below |"
        )
    if "request" in r:
        lines.extend(request_path.summary(r["request"], verdict))
    if "engine_profiles" in r:
        lines.extend(engine_profiles.summary(r["engine_profiles"], verdict))
    if "workflows" in r:
        for shape, ratio in r["workflows"]["ratios"].items():
            add(
                f"| 9 | workflow: {shape}, end to end, vs raw SDK | {ratio:.2f}x | <= 1.2x | {verdict(ratio <= 1.2)} |"
            )
    add("")
    if "inline" in r:
        add("### 1. Inline dispatch\n")
        add("```\n" + r["inline"]["output"] + "\n```\n")
    if "web" in r:
        w = r["web"]
        add("### 2. Web process with no token\n")
        add(
            "A fresh interpreter per measurement (`bench/web_boot.py`): `django.setup()`"
            " (contenttypes, auth), import the tasks module, one dispatch; from the script's first"
            " line to the end: the process's CPU time (what the goal is judged on: on a shared"
            " machine, wall time adds the waits for a core), the wall time, and the whole"
            " process's wall time with the interpreter's start. Every module is read from its"
            " bytecode, as after `pip install` (pip compiles a wheel's modules; Django's were"
            " compiled when the virtualenv was made, the bench compiles django_hatchet's). The"
            " *from source* line imports a copy of django_hatchet that has no bytecode and may"
            " not write any (a checkout run with `PYTHONDONTWRITEBYTECODE=1`, as on this"
            " machine): the difference is the compilation of its modules, paid at every start."
            f" {w['repetitions']} repetitions; what django_hatchet adds is the median of the"
            " differences within a repetition (start-up varies with the machine's load by more"
            " than the difference itself).\n"
        )
        add(
            "| candidate | CPU | spread | wall | spread | process wall | grpc/hatchet_sdk modules |"
        )
        add("|---|---|---|---|---|---|---|")
        names = {
            "plain": "without django_hatchet (plain function)",
            "hatchet": "with django_hatchet, `delay().get()` inline",
            "integrations": "the same, OpenTelemetry and Sentry installed, not configured",
            "source": "the same, django_hatchet from source (no bytecode)",
            "sdk": "`import hatchet_sdk` alone",
        }
        for mode, label in names.items():
            cpu, cpu_spread = fmt(w["cpu"][mode], " ms", 1000, 1)
            med, spr = fmt(w["seconds"][mode], " ms", 1000, 1)
            wall, _ = fmt(w["wall"][mode], " ms", 1000, 0)
            add(
                f"| {label} | {cpu} | {cpu_spread} | {med} | {spr} | {wall} |"
                f" {w['sdk_modules'][mode]} |"
            )
        add(
            f"\nAdded by django_hatchet: **{w['added_cpu_ms']:+.1f} ms of CPU**;"
            f" {w['added_ms']:+.1f} ms in-process wall, {w['added_wall_ms']:+.1f} ms of process"
            f" wall time. From source, without bytecode: {w['added_cpu_source_ms']:+.1f} ms of CPU."
            " With OpenTelemetry and Sentry installed but not configured (the integrations'"
            f" observers in place, their libraries not imported):"
            f" {w['added_cpu_integrations_ms']:+.1f} ms of CPU.\n"
        )
    if "enqueue" in r:
        e = r["enqueue"]
        add("### 3-4. Enqueue throughput\n")
        drained = "then run by workers, every one accounted for" if e["drained"] else "left queued"
        add(
            f"No worker runs meanwhile; the {e['sent']['ours']:,} + {e['sent']['raw']:,} runs enqueued were {drained}."
        )
        add(
            "Default settings (PostgreSQL database, on-commit enqueue, called outside a transaction)."
        )
        add(
            f"Row 3: {e['calls']} calls per candidate in each of {3 * r['repeat']} repetitions, the two candidates alternating call"
        )
        add(
            f"by call. Row 4: {r['repeat']} repetitions of a {2 * e['calls']}-call loop, `delay_many` and `run_many` of {e['bulk']:,}.\n"
        )
        add("| candidate | runs/s | spread |\n|---|---|---|")
        labels = {
            "delay": "`job.delay()` in a loop",
            "raw run": "raw SDK `task.run(..., wait_for_result=False)` in a loop",
            "delay loop x1000": "`job.delay()` in a loop (row 4's peer)",
            "delay_many": f"`job.delay_many()` of {e['bulk']:,}",
            "raw run_many": f"raw SDK `task.run_many()` of {e['bulk']:,}",
        }
        for key, label in labels.items():
            med, spr = fmt(e["rates"][key])
            add(f"| {label} | {med} | {spr} |")
        add("")
    if "e2e" in r:
        lines.extend(e2e.section(r["e2e"], r["repeat"], fmt))
    if "memory" in r:
        add("### 7. Worker memory\n")
        add(
            "RSS of the worker's main process (the one that runs the jobs), and with its listener child;"
        )
        add(f"idle 5 s after start, then after 1,000 and {r['memory']['jobs']:,} jobs.\n")
        steps = [
            k
            for k in next(iter(r["memory"]["rss_kib"].values()))
            if k == "idle" or k.startswith("after")
        ]
        add("| worker | " + " | ".join(steps) + " | growth | growth after warm-up |")
        add("|---|" + "---|" * (len(steps) + 2))
        for key, values in r["memory"]["rss_kib"].items():
            cells = [f"{values[s][0] / 1024:.1f} MB ({values[s][1] / 1024:.0f})" for s in steps]
            add(
                f"| {key} | "
                + " | ".join(cells)
                + f" | {values['growth'] * 100:+.1f} % | {values['growth_after_warmup'] * 100:+.1f} % |"
            )
        add("")
    if "scaling" in r:
        add("### 8. Scaling\n")
        add("![Throughput against slots and worker processes](img/bench-scaling.png)\n")
        add(
            "| processes x slots | jobs | django-hatchet runs/s | spread | raw SDK runs/s | spread | ratio |"
        )
        add("|---|---|---|---|---|---|---|")
        for p in r["scaling"]["points"]:
            a, b = fmt(p["ours"])
            c, d = fmt(p["raw"])
            add(
                f"| {p['processes']} x {p['slots']} | {p['jobs']:,} | {a} | {b} | {c} | {d} | {p['ratio']:.2f}x |"
            )
        add("")
    if "request" in r:
        lines.extend(request_path.section(r["request"], fmt))
    if "engine_profiles" in r:
        lines.extend(engine_profiles.section(r["engine_profiles"], fmt))
    if "workflows" in r:
        add("### 9. Workflows\n")
        add(
            "A chain of 3 steps, a workflow of 3 steps declared with `workflow()`, and a"
            f" group of {r['workflows']['members']} steps (each adds one), from `.delay()` to"
            " `.get()`'s result, one at a time, against the same shapes with the raw SDK by"
            " hand: a DAG workflow of 3 tasks (`wf.run()`, for the chain and the workflow),"
            " and `run_many` of one task. Each candidate has its own worker with the same"
            " slots; the shapes alternate.\n"
        )
        add("| shape | candidate | seconds | spread |")
        add("|---|---|---|---|")
        for shape, by in r["workflows"]["seconds"].items():
            for name, values in by.items():
                add(
                    f"| {shape} | {name} | {values['median']:.3f} | {values['min']:.3f}-{values['max']:.3f} |"
                )
        add("")
    if "profile" in r:
        p = r["profile"]
        add("### Profiles (this run)\n")
        add(
            f"`bench/profile_paths.py`, pyinstrument. Enqueue: {p['enqueue']['calls']} `.delay()` calls on the engine;"
        )
        add(
            f"share of the samples in django_hatchet's own code: **{p['enqueue']['ours_share'] * 100:.1f} %**"
        )
        add(
            f"({p['enqueue']['per_call_us']:.0f} us a call in all). Job execution: our task function around"
        )
        add(
            f"the job, with a stand-in for the SDK's context, {p['execute']['calls']:,} calls: {p['execute']['wrapper_us']:.1f} us a job"
        )
        add(
            f"against {p['execute']['bare_us']:.1f} us for the bare function, i.e. **{p['execute']['overhead_us']:.1f} us** of ours per job.\n"
        )
        add("Top of the enqueue profile (django_hatchet frames):\n")
        add("```\n" + p["enqueue"]["top"] + "\n```\n")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    doc = DOCS.read_text()
    if BEGIN in doc and END in doc:
        head, _, rest = doc.partition(BEGIN)
        _, _, tail = rest.partition(END)
        doc = f"{head}{BEGIN}\n{text}\n{END}{tail}"
    else:
        doc = f"{doc.rstrip()}\n\n## Results of the last full run\n\n{BEGIN}\n{text}\n{END}\n"
    DOCS.write_text(doc)


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = results["scaling"]["points"]
    one = [p for p in points if p["processes"] == 1]
    many = [p for p in points if p["slots"] == 16]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for key, label, style in (
        ("ours", "django-hatchet runworker", "o-"),
        ("raw", "raw SDK worker", "s--"),
    ):
        left.plot([p["slots"] for p in one], [p[key]["median"] for p in one], style, label=label)
        left.fill_between(
            [p["slots"] for p in one],
            [p[key]["min"] for p in one],
            [p[key]["max"] for p in one],
            alpha=0.15,
        )
        right.plot(
            [p["processes"] for p in many], [p[key]["median"] for p in many], style, label=label
        )
        right.fill_between(
            [p["processes"] for p in many],
            [p[key]["min"] for p in many],
            [p[key]["max"] for p in many],
            alpha=0.15,
        )
    left.set_xscale("log", base=2)
    left.set_xticks([1, 4, 16, 64], ["1", "4", "16", "64"])
    left.set_xlabel("slots (one worker process)")
    left.set_ylabel("no-op jobs per second, end to end")
    right.set_xticks([1, 2, 4])
    right.set_xlabel("worker processes (16 slots each)")
    left.legend()
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    m = results["machine"]
    fig.suptitle(f"Hatchet v0.105.0 on {m['cpu'].split(',')[0]} (median, min-max band)")
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=100)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # So that the engine, Redis and the workers are stopped.


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument(
        "--rows",
        default="1,2,11,3,10,5,7,8,9,p",
        help="rows to run (3=3-4, 5=5-6, 11=engine profiles, p=Python profiles)",
    )
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per end-to-end measurement")
    parser.add_argument("--memory-jobs", type=int, default=10000, help="jobs for row 7")
    parser.add_argument("--scaling-jobs", type=int, default=300, help="jobs per scaling point")
    parser.add_argument("--drain", action="store_true", help="run every run rows 3-4 enqueued")
    parser.add_argument("--no-docs", action="store_true", help="print the report, leave docs alone")
    options = parser.parse_args()
    rows = set(options.rows.split(","))
    CACHE.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine(),
        "repeat": options.repeat,
        "load_start": services.load_average(),
    }
    log(f"machine: {results['machine']}")
    if "1" in rows:
        log("row 1: inline dispatch")
        results["inline"] = row_inline(options.repeat)
        log(results["inline"]["output"])
    if "2" in rows:
        log("row 2: web process with no token")
        results["web"] = row_web_boot(options.repeat)
        log(f"{results['web']}")
    if "11" in rows:  # Before the bench's engine starts: each profile starts its own.
        log("row 11: engine profiles")
        results["engine_profiles"] = engine_profiles.measure(
            engine_profiles.PROFILES, options.repeat, jobs=1000, slots=20
        )
    if rows & {"3", "5", "7", "8", "9", "10", "p"}:
        log(f"starting RabbitMQ, Redis and the engine ({engine_profiles.BENCH_PROFILE})")
        rabbitmq, rabbitmq_url = services.start_rabbitmq(CACHE)
        redis = services.start_redis(CACHE)
        profile = engine_profiles.PROFILES[engine_profiles.BENCH_PROFILE]
        engine, env = services.start_engine(
            CACHE,
            {k: rabbitmq_url if v == engine_profiles.RABBITMQ else v for k, v in profile.items()},
        )
        bench = Bench(env, f"redis://127.0.0.1:{services.REDIS_PORT}/0")
        others = [peers.reference(bench.redis_url), *peers.durable(rabbitmq_url)]
        try:
            if "5" in rows:
                log("rows 5-6: end to end, latency")
                results["e2e"] = e2e.measure(bench, others, options.repeat, options.jobs, 40, SLOTS)
            if "7" in rows:
                log("row 7: memory")
                results["memory"] = row_memory(bench, options.memory_jobs)
            if "8" in rows:
                log("row 8: scaling")
                results["scaling"] = row_scaling(bench, options.repeat, options.scaling_jobs)
            if "9" in rows:
                log("row 9: workflows")
                results["workflows"] = row_workflows(bench, options.repeat, 100)
            # Rows 3, 4 and 10 leave their runs queued with no worker (unless --drain):
            # last, so that no other row's engine works behind that backlog.
            if "3" in rows:
                log("rows 3-4: enqueue")
                results["enqueue"] = row_enqueue(bench, options.repeat, 100, 1000, options.drain)
            if "10" in rows:
                log("row 10: request-path enqueue")
                results["request"] = request_path.measure(
                    bench, others, options.repeat, 200, namespace
                )
                log(f"{results['request']['ratios']}")
            if "p" in rows:
                log("profiles")
                results["profile"] = run_profile(env)
        finally:
            (CACHE / "results.json").write_text(json.dumps(results, indent=2))
            bench.stop_all()
            redis.stop()
            rabbitmq.stop()
            engine.stop()
    results["load_end"] = services.load_average()
    (CACHE / "results.json").write_text(json.dumps(results, indent=2))
    text = report(results)
    print(text)
    if "scaling" in results:
        plot(results)
    if not options.no_docs:
        write_docs(text)
        log(f"wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
