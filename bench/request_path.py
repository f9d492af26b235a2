"""Row 10: what a request pays to enqueue one job, in the request's own process.

Candidates, interleaved call by call (the order rotates each repetition), on the bench's
engine and PostgreSQL:

- ``.delay()`` inside ``transaction.atomic()``, the commit included (what a view pays);
- ``.delay()`` outside a transaction;
- the raw SDK's ``run(wait_for_result=False)`` (a gRPC round trip to the engine);
- the floor of a durable record: an INSERT of one small row inside ``transaction.atomic()``,
  with its commit, on the same database;
- each peer of ``bench/peers.py`` enqueuing one job inside ``transaction.atomic()``, its
  commit included: Celery's ``delay_on_commit()`` (Redis; RabbitMQ with publisher confirms),
  Procrastinate's ``defer()`` and django-tasks-db's ``enqueue()`` (both write the job in the
  transaction). No worker runs meanwhile; the jobs are left in their queues.

django-hatchet's background dispatch sends the runs from a thread (to the engine; no worker
runs them). Between two calls the driver waits, untimed, for that thread to finish its send
and 5 ms more for any candidate's other threads (the SDK's, a broker client's), so that no
candidate is charged another's leftovers. The goals (issue 15): ``.delay()`` at most 0.1x
the raw SDK and at most 1.5x the floor, in a transaction and outside one.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

FLOOR_TABLE = "bench_floor"
PAUSE = 0.005  # seconds between two calls, untimed

NAMES = {
    "atomic": "`.delay()` in `atomic()`, with its commit",
    "outside": "`.delay()` outside a transaction",
    "raw": "raw SDK `run(wait_for_result=False)`",
    "floor": "INSERT of one row in `atomic()`, with its commit",
}


def measure(
    bench: Any, peers: list[Any], repeat: int, calls: int, namespace: Callable[[str], str]
) -> dict[str, Any]:
    from django.db import connection, transaction

    from bench.common import CACHE, rotate, spread
    from bench.run import probe_input
    from django_hatchet.backends import get_backend

    ns_ours, ns_raw = namespace("req"), namespace("reqraw")
    bench.register_ours(ns_ours)
    raw = bench.raw(ns_raw, register=True)
    noop = bench.ours(ns_ours)
    path = str(CACHE / f"{ns_ours}.drain")
    item = probe_input(CACHE / f"{ns_raw}.drain")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, v text)"
        )
    row = "x" * 21

    def atomic() -> None:
        with transaction.atomic():
            noop.delay(path, 0.0)

    def outside() -> None:
        noop.delay(path, 0.0)

    def raw_run() -> None:
        raw.run(item, wait_for_result=False)

    def floor() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FLOOR_TABLE} (v) VALUES (%s)", [row])

    candidates: dict[str, Callable[[], None]] = {
        "atomic": atomic,
        "outside": outside,
        "raw": raw_run,
        "floor": floor,
    }
    for peer in peers:
        candidates[peer.call] = partial(peer.enqueue_in_atomic, "")
    dispatcher = get_backend().sender.dispatcher  # type: ignore[attr-defined]
    for fn in candidates.values():  # Warm up: connections, registrations, the thread.
        for _ in range(20):
            fn()
    dispatcher.wait_idle(60)
    micros: dict[str, list[float]] = {name: [] for name in candidates}
    for rep in range(3 * repeat):
        spent = dict.fromkeys(candidates, 0.0)
        for _ in range(calls):
            for name in rotate(list(candidates), rep):
                start = time.perf_counter()
                candidates[name]()
                spent[name] += time.perf_counter() - start
                # Untimed: what a call leaves to threads (our dispatcher's send, the SDK's
                # gRPC and event-loop threads, a broker client's) finishes before the next
                # candidate's call, so that no candidate is charged another's leftovers (in a
                # web process they overlap the next requests).
                if name in ("atomic", "outside"):
                    dispatcher.wait_idle(60)
                time.sleep(PAUSE)
        for name, seconds in spent.items():
            micros[name].append(seconds / calls * 1e6)
        dispatcher.wait_idle(120)  # Each repetition starts with nothing left to send.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
    med = {k: statistics.median(v) for k, v in micros.items()}
    peer_names = [peer.call for peer in peers]
    return {
        "peers": peer_names,
        "micros": {k: spread(v) for k, v in micros.items()},
        "calls": calls,
        "repetitions": 3 * repeat,
        "ratios": {
            "atomic_vs_raw": med["atomic"] / med["raw"],
            "atomic_vs_floor": med["atomic"] / med["floor"],
            "outside_vs_raw": med["outside"] / med["raw"],
            "outside_vs_floor": med["outside"] / med["floor"],
        },
        "vs_peers": {name: med["atomic"] / med[name] for name in peer_names},
    }


def summary(result: dict[str, Any], verdict: Callable[[bool], str]) -> list[str]:
    """The summary table's lines of row 10."""
    r = result["ratios"]
    lines = []
    for where in ("atomic", "outside"):
        label = "in `atomic()`" if where == "atomic" else "outside a transaction"
        raw, floor = r[f"{where}_vs_raw"], r[f"{where}_vs_floor"]
        what = f"| 10 | `.delay()` {label}"
        lines.append(f"{what} vs raw SDK `run()` | {raw:.3f}x | <= 0.1x | {verdict(raw <= 0.1)} |")
        lines.append(
            f"{what} vs one INSERT with its commit | {floor:.2f}x | <= 1.5x |"
            f" {verdict(floor <= 1.5)} |"
        )
    for name, ratio in result.get("vs_peers", {}).items():
        lines.append(f"| 10 | `.delay()` in `atomic()` vs {name} | {ratio:.2f}x | reported | |")
    return lines


def section(result: dict[str, Any], fmt: Callable[..., tuple[str, str]]) -> list[str]:
    """Row 10's section of the results."""
    lines = [
        "### 10. Request-path enqueue\n",
        f"{result['calls']} calls per candidate in each of {result['repetitions']} repetitions,"
        " the candidates alternating call by call; the time per call (`bench/request_path.py`).\n",
        "| candidate | per call | spread |",
        "|---|---|---|",
    ]
    labels = {
        **NAMES,
        **{name: f"{name} in `atomic()`, with its commit" for name in result.get("peers", [])},
    }
    for name, label in labels.items():
        median, spread = fmt(result["micros"][name], " us", 1.0, 0)
        lines.append(f"| {label} | {median} | {spread} |")
    lines.append("")
    return lines
