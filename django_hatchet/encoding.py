"""The JSON round trip that every job's arguments and return value make.

Inline mode and the engine use the same encoder, so a value that would not survive the
trip to the engine fails in development too (Celery's eager mode hides this bug).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

ALLOWED = "str, int, float, bool, None, and lists and dicts of them (dict keys must be strings)"


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON; raise TypeError or ValueError if it is not JSON."""
    return _encode(value)


def loads(data: str) -> Any:
    return json.loads(data)


_UNCHANGED = frozenset({str, int, bool, type(None)})


def round_trip(value: Any) -> Any:
    """Return ``value`` as the other side of the JSON trip will see it."""
    if type(value) in _UNCHANGED:  # The common case, and the trip would give it back as is.
        return value
    return json.loads(_encode(value))


def _first_bad_value(value: Any, path: str) -> tuple[str, Any] | None:
    """Find the first part of ``value`` that is not JSON, as (path, bad value)."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return (
            None if value == value and value not in (float("inf"), float("-inf")) else (path, value)
        )
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _first_bad_value(item, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (f"{path} key {key!r}", key)
            found = _first_bad_value(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    return (path, value)


def _describe(value: Any) -> str:
    kind = type(value)
    qualified = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    if isinstance(value, float):
        return f"{value!r} (float; NaN and infinity are not valid JSON)"
    return f"a value of type {qualified}"


def _hint(value: Any) -> str:
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return "pass its primary key and load the object inside the job"
    return f"pass only JSON values: {ALLOWED}"


def _named_arguments(
    signature: inspect.Signature | None, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any]
) -> Iterator[tuple[str, Any]]:
    params = list(signature.parameters.values()) if signature else []
    for i, value in enumerate(args):
        if i < len(params) and params[i].kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            yield params[i].name, value
        else:
            yield f"positional argument {i}", value
    yield from kwargs.items()


def argument_error(
    job_name: str,
    signature: inspect.Signature | None,
    args: tuple[Any, ...] | list[Any],
    kwargs: dict[str, Any],
) -> TypeError:
    """Build the TypeError that names the first argument that is not JSON."""
    for name, value in _named_arguments(signature, args, kwargs):
        found = _first_bad_value(value, name)
        if found:
            path, bad = found
            where = f"argument {name!r}" if path == name else f"argument {name!r} (at {path})"
            return TypeError(
                f"{job_name}: {where} is {_describe(bad)}, which is not JSON serializable. "
                f"Job arguments travel as JSON; {_hint(bad)}."
            )
    return TypeError(f"{job_name}: the arguments are not JSON serializable ({ALLOWED}).")


def return_value_error(job_name: str, value: Any) -> TypeError:
    found = _first_bad_value(value, "return value")
    path, bad = found if found else ("return value", value)
    where = "" if path == "return value" else f" (at {path})"
    return TypeError(
        f"{job_name} returned {_describe(bad)}{where}, which is not JSON serializable. "
        f"Job results travel as JSON; return only {ALLOWED}."
    )
