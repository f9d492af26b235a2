"""What every row of the bench shares: where it writes, how it logs, counts and reports."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from bench import probe, services
from bench.services import ROOT

CACHE = ROOT / "bench" / ".cache"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {services.load_average()}] {message}", flush=True)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def namespace(what: str) -> str:
    return f"b{uuid.uuid4().hex[:6]}{what}"


def wait_count(path: Path, n: int, timeout: float) -> float:
    """Wait until ``n`` jobs wrote to ``path``; return the time (perf_counter) they had."""
    deadline = time.monotonic() + timeout
    while probe.count(str(path)) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{path.name}: {probe.count(str(path))} of {n} jobs ran in {timeout}s"
            )
        time.sleep(0.005)
    return time.perf_counter()


def rotate(items: list[Any], rep: int) -> list[Any]:
    """Each repetition starts with another candidate, so that none always goes first."""
    k = rep % len(items)
    return items[k:] + items[:k]
