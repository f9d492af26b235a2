"""What every benchmark job does, whoever runs it (django-hatchet, the raw SDK, Celery).

``hit`` appends one fixed-size line to a file: the seconds from enqueue to start when
``enqueued_at`` is given, else 0. The driver counts lines to know how many jobs finished,
and reads the latencies back. O_APPEND writes this small are atomic across processes.
"""

from __future__ import annotations

import os
import time

LINE = 21  # "%020.6f\n"


def hit(path: str, enqueued_at: float) -> None:
    if not path:
        return
    latency = time.time() - enqueued_at if enqueued_at else 0.0
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"%020.6f\n" % latency)
    finally:
        os.close(fd)


def count(path: str) -> int:
    try:
        return os.path.getsize(path) // LINE
    except FileNotFoundError:
        return 0


def latencies(path: str) -> list[float]:
    with open(path, "rb") as f:
        return [float(line) for line in f.read().splitlines() if line]
