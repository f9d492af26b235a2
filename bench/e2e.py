"""Rows 5 and 6: end-to-end throughput, then enqueue-to-start latency at low load.

Candidates, each with its own worker, all started before the first measurement:
django-hatchet's ``runworker``, the raw SDK's worker, and the peers of ``bench/peers.py``
(Celery with Redis, the non-durable reference; Celery with RabbitMQ, Procrastinate and
django-tasks-db, the durable ones).

- Throughput: ``jobs`` no-op jobs, from the first enqueue (bulk where the candidate has a bulk
  call, else a loop) to the last job's completion; the candidates take turns, the order
  rotating each repetition.
- Latency: one job every 50 ms, the candidates alternating job by job; the time from just
  before the enqueue call to the job function's first line. django-hatchet runs twice here:
  with background dispatch (the default: the outbox row, then the process's dispatcher sends
  it) and with ``HATCHET_BACKGROUND_DISPATCH = False`` (sent in the call, as before issue 15),
  both to ``runworker``, so the difference is what the durable record costs a run's start.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import probe, services
from bench.common import CACHE, log, namespace, rotate, spread, wait_count
from bench.peers import Peer

OURS = "django-hatchet runworker"
IN_CALL = "django-hatchet, sent in the call"
RAW = "raw SDK worker"


def measure(
    bench: Any, peers: list[Peer], repeat: int, jobs: int, latency_jobs: int, slots: int
) -> dict[str, Any]:
    from bench.run import probe_input, raw_bulk
    from django_hatchet.conf import conf

    ns_ours, ns_raw = namespace("e2e"), namespace("e2eraw")
    workers = [
        bench.start(services.django_worker(bench.engine, ns_ours, slots, CACHE / "e2e-ours.log")),
        bench.start(services.raw_worker(bench.engine, ns_raw, slots, CACHE / "e2e-raw.log")),
    ]
    for peer in peers:
        slug = peer.name.split()[0].lower() + uuid.uuid4().hex[:4]
        workers += peer.start(slots, CACHE / f"e2e-{slug}.log")
    noop = bench.ours(ns_ours)
    raw = bench.raw(ns_raw)

    send_many: dict[str, Callable[[Path, int], None]] = {
        OURS: lambda path, n: noop.delay_many([(str(path), 0.0)] * n),
        RAW: lambda path, n: raw_bulk(raw, path, n),
    }

    def in_call(path: Path) -> None:
        # HATCHET_BACKGROUND_DISPATCH = False for this call only. Not override_settings: its
        # setting_changed receiver rebuilds the client (from the environment, whose namespace
        # is now the raw SDK's) and the dispatcher, as a test wants and a bench does not.
        conf._cache["HATCHET_BACKGROUND_DISPATCH"] = False
        try:
            noop.delay(str(path), time.time())
        finally:
            conf._cache["HATCHET_BACKGROUND_DISPATCH"] = True

    send_one: dict[str, Callable[[Path], None]] = {
        OURS: lambda path: noop.delay(str(path), time.time()),
        IN_CALL: in_call,
        RAW: lambda path: raw.run(probe_input(path, time.time()), wait_for_result=False),
    }
    for peer in peers:
        send_many[peer.name] = peer.send_many
        send_one[peer.name] = peer.send_one
    try:
        for name, send in send_many.items():  # Warm up; proves each worker is up.
            path = CACHE / f"warm-{uuid.uuid4().hex[:6]}"
            send(path, 50)
            try:
                wait_count(path, 50, 180)
            except RuntimeError as error:
                raise RuntimeError(f"{name}: its worker did not run the warm-up: {error}") from None
        rates: dict[str, list[float]] = {name: [] for name in send_many}
        for rep in range(repeat):
            for name in rotate(list(send_many), rep):
                path = CACHE / f"e2e-{uuid.uuid4().hex[:8]}"
                start = time.perf_counter()
                send_many[name](path, jobs)
                end = wait_count(path, jobs, 900)
                rates[name].append(jobs / (end - start))
                time.sleep(1)  # Let the engine and the databases settle between candidates.
            log(f"e2e rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items()))

        p50: dict[str, list[float]] = {name: [] for name in send_one}
        p95: dict[str, list[float]] = {name: [] for name in send_one}
        for rep in range(2 * repeat):  # Cheap, and noisier than throughput.
            paths = {name: CACHE / f"lat-{uuid.uuid4().hex[:8]}" for name in send_one}
            for _ in range(latency_jobs):
                for name in rotate(list(send_one), rep):
                    send_one[name](paths[name])
                    time.sleep(0.05)
            for name, path in paths.items():
                wait_count(path, latency_jobs, 120)
                values = sorted(probe.latencies(str(path)))
                p50[name].append(values[len(values) // 2] * 1000)
                p95[name].append(values[int(len(values) * 0.95) - 1] * 1000)
            log(
                f"latency rep {rep + 1}: "
                + ", ".join(f"{k} {v[-1]:.1f} ms" for k, v in p50.items())
            )
    finally:
        bench.stop(*workers)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "jobs": jobs,
        "slots": slots,
        "rates": {k: spread(v) for k, v in rates.items()},
        "ratios": {name: med[OURS] / med[name] for name in med if name != OURS},
        "durable": [peer.name for peer in peers if peer.durable],
        "latency_jobs": latency_jobs,
        "p50_ms": {k: spread(v) for k, v in p50.items()},
        "p95_ms": {k: spread(v) for k, v in p95.items()},
        "p50_ratio": statistics.median(p50[OURS]) / statistics.median(p50[RAW]),
        "p95_ratio": statistics.median(p95[OURS]) / statistics.median(p95[RAW]),
        "in_call_p50_ratio": statistics.median(p50[IN_CALL]) / statistics.median(p50[RAW]),
    }


def summary(result: dict[str, Any], verdict: Callable[[bool], str]) -> list[str]:
    """The summary table's lines of rows 5 and 6."""
    lines = []
    for name, ratio in result["ratios"].items():
        if name == RAW:
            goal, ok = ">= 0.9x", ratio >= 0.9
        elif name in result["durable"]:
            goal, ok = ">= 1.0x", ratio >= 1.0
        else:
            lines.append(f"| 5 | end-to-end, runworker vs {name} | {ratio:.2f}x | reported | |")
            continue
        lines.append(
            f"| 5 | end-to-end, runworker vs {name} | {ratio:.2f}x | {goal} | {verdict(ok)} |"
        )
    for q in ("p50", "p95"):
        ratio = result[f"{q}_ratio"]
        ok = verdict(ratio <= 1.0)
        lines.append(f"| 6 | enqueue-to-start {q} vs raw SDK | {ratio:.2f}x | <= 1.0x | {ok} |")
    if "in_call_p50_ratio" in result:
        ratio = result["in_call_p50_ratio"]
        lines.append(f"| 6 | p50, {IN_CALL}, vs raw SDK | {ratio:.2f}x | reported | |")
    return lines


def section(result: dict[str, Any], repeat: int, fmt: Callable[..., tuple[str, str]]) -> list[str]:
    """Rows 5 and 6's sections of the results."""
    lines = [
        "### 5. End-to-end throughput\n",
        f"{result['jobs']:,} jobs, from the first enqueue (`delay_many`, the raw SDK's `run_many`,"
        " Procrastinate's `batch_defer`, django-tasks-db's `enqueue()` in one transaction, a"
        " `.delay()` loop for Celery) to the last job's completion. Hatchet workers, Celery's"
        f" prefork and Procrastinate's worker: concurrency {result['slots']}; django-tasks-db: one"
        " `db_worker` per CPU (it runs one job at a time). `bench/e2e.py`, `bench/peers.py`.\n",
        "| candidate | runs/s | spread | durable |",
        "|---|---|---|---|",
    ]
    for key, value in result["rates"].items():
        med, spr = fmt(value)
        durable = "yes" if key in (OURS, RAW) or key in result["durable"] else "no"
        lines.append(f"| {key} | {med} | {spr} | {durable} |")
    lines += [
        "\n### 6. Latency from enqueue to start, at low load\n",
        f"{result['latency_jobs']} jobs per candidate in each of {2 * repeat} repetitions, one"
        " every 50 ms, the candidates alternating job by job; time from just before the enqueue"
        " call to the job function's first line.\n",
        "| candidate | p50 | spread | p95 | spread |",
        "|---|---|---|---|---|",
    ]
    for key in result["p50_ms"]:
        a, b = fmt(result["p50_ms"][key], " ms", 1, 1)
        c, d = fmt(result["p95_ms"][key], " ms", 1, 1)
        lines.append(f"| {key} | {a} | {b} | {c} | {d} |")
    lines.append("")
    return lines
