"""How run data is shown: redacted, as indented JSON, never with the Hatchet token."""

from __future__ import annotations

import json
import re
from typing import Any

from ..conf import scrub as scrub_token
from ..redaction import redact


def scrub(text: str) -> str:
    """``text`` without the Hatchet token, should it ever appear in it (an error message)."""
    return scrub_token(text)


def as_json(value: Any, indent: int | None = 2) -> str:
    """Redacted JSON for a page (the template escapes it)."""
    if value is None:
        return ""
    return json.dumps(redact(value), indent=indent, ensure_ascii=False, default=str)


def short(value: Any, length: int = 80) -> str:
    text = as_json(value, indent=None)
    return text if len(text) <= length else text[: length - 1] + "…"


def call_text(data: Any) -> str:
    """A run's input as a call: ``(1, "a", key=2)``."""
    if isinstance(data, dict) and set(data) <= {"args", "kwargs"}:
        data = redact(data)
        parts = [json.dumps(a, ensure_ascii=False) for a in data.get("args", [])]
        parts += [
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in data.get("kwargs", {}).items()
        ]
        text = "(" + ", ".join(parts) + ")"
        return text if len(text) <= 80 else text[:79] + "…"
    return short(data)


def duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def error_summary(error: str) -> str:
    """The first line of an error (``Type: message``)."""
    return scrub(error.split("\n", 1)[0])[:200]


def short_id(run_id: str) -> str:
    """The end of a run id, which tells runs apart (a version 7 UUID begins with its time,
    the same for the runs of one moment): ``…3df290e01009``."""
    return "…" + run_id[-12:] if len(run_id) > 13 else run_id


#: The frames of a worker's traceback that are not the job's: the SDK's runner, the event loop
#: and thread pool, asgiref, and django-hatchet's own task function.
_LIBRARY_FRAME = re.compile(
    r'^  File ".*[/\\](hatchet_sdk|asyncio|concurrent|asgiref|django_hatchet[/\\]worker)[/\\]'
    r'|^  File ".*[/\\]threading\.py"'
)


def user_traceback(trace: str) -> tuple[str, int]:
    """The traceback with only the job's own frames (the SDK's runner frames come first in
    a worker's traceback), and how many frames it left out; the traceback itself when none."""
    lines = trace.splitlines()
    kept: list[str] = []
    hidden = 0
    i = 0
    while i < len(lines):
        end = i + 1
        if lines[i].startswith('  File "'):
            while end < len(lines) and lines[end].startswith("    "):
                end += 1
            if _LIBRARY_FRAME.match(lines[i]):
                hidden += 1
                i = end
                continue
        kept.extend(lines[i:end])
        i = end
    return ("\n".join(kept), hidden) if hidden else (trace, 0)
