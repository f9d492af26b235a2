"""The JSON round trip that every job's arguments and return value make.

Inline mode and the engine use the same encoder, so a value that would not survive the
trip to the engine fails in development too (Celery's eager mode hides this bug). Besides
JSON itself, the engine refuses two things, checked here in both modes: the NUL character
(``\\u0000``, which Postgres' JSONB cannot store) in any string or key, and a payload larger
than one gRPC message (4 MiB unless ``HATCHET_CLIENT_GRPC_MAX_SEND_MESSAGE_LENGTH`` says
otherwise).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

from .conf import conf

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

ALLOWED = "str, int, float, bool, None, and lists and dicts of them (dict keys must be strings)"


#: A NUL character as the encoder writes it: ``\u0000`` after an even number of backslashes
#: (an odd number means the backslash itself was escaped, e.g. the text ``\\u0000``).
#: (A pattern, compiled by ``re`` on first use: not at a web process's start-up.)
_NUL_RE = r"(?<!\\)(?:\\\\)*\\u0000"

#: What the rest of a request needs besides the payload (name, metadata, options).
HEADROOM = 16 * 1024


class PayloadError(ValueError):
    """The JSON is valid, but the engine would refuse it (a NUL character, or too large)."""


def max_payload_bytes() -> int:
    """The largest JSON payload (arguments or return value) that fits in one engine message."""
    return conf.MESSAGE_LIMIT - HEADROOM


def _check(text: str) -> str:
    """``text`` (encoded JSON) if the engine would accept it; else raise PayloadError."""
    if "\\u0000" in text and re.search(_NUL_RE, text):
        raise PayloadError("NUL character")
    if text.isascii():
        size = len(text)
    else:
        try:
            size = len(text.encode())
        except UnicodeEncodeError:  # A lone surrogate, which no UTF-8 message can carry.
            raise PayloadError("lone surrogate") from None
    if size > max_payload_bytes():
        raise PayloadError(f"{size} bytes")
    return text


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON; raise TypeError or ValueError if it is not JSON, or
    not JSON the engine accepts (PayloadError)."""
    return _check(_encode(value))


def loads(data: str) -> Any:
    return json.loads(data)


_UNCHANGED = frozenset({int, bool, type(None)})


def round_trip(value: Any) -> Any:
    """Return ``value`` as the other side of the JSON trip will see it."""
    kind = type(value)
    if kind in _UNCHANGED or (  # The common cases, which the trip would give back as is.
        kind is str and len(value) < 4096 and value.isascii() and "\x00" not in value
    ):
        return value
    return json.loads(_check(_encode(value)))


def payload_size(value: Any) -> int:
    """The size in bytes of ``value`` as JSON (which it must be)."""
    return len(_encode(value).encode("utf-8", "surrogatepass"))


def _first_bad_value(value: Any, path: str) -> tuple[str, Any] | None:
    """Find the first part of ``value`` that is not JSON, or that the engine refuses (a string
    holding NUL or a lone surrogate), as (path, bad value)."""
    if isinstance(value, str):
        return (path, value) if _bad_text(value) else None
    if value is None or isinstance(value, (bool, int)):
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
            if not isinstance(key, str) or _bad_text(key):
                return (f"{path} key {key!r}", key)
            found = _first_bad_value(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    return (path, value)


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _describe(value: Any) -> str:
    if isinstance(value, str):
        if "\x00" in value:
            return "a string holding the NUL character (\\u0000), which the engine cannot store"
        return "a string holding a lone surrogate, which is not valid UTF-8"
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
    if isinstance(value, str):
        if "\x00" in value:
            return "remove the character (text.replace('\\x00', '')), or send binary data as base64"
        return "encode the text properly, or send binary data as base64"
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


def _too_large(size: int) -> str:
    limit = max_payload_bytes()
    return (
        f"{size:,} bytes as JSON, more than the {limit:,} bytes that fit in one message "
        f"to the Hatchet engine (its gRPC limit, {conf.MESSAGE_LIMIT:,} bytes, less "
        f"{HEADROOM // 1024} KiB for the rest of the request)"
    )


def argument_error(
    job_name: str,
    signature: inspect.Signature | None,
    args: tuple[Any, ...] | list[Any],
    kwargs: dict[str, Any],
) -> TypeError | ValueError:
    """Build the error that names the first argument that is not JSON (TypeError), or that
    the engine would refuse (ValueError: a NUL character, a lone surrogate, too large)."""
    for name, value in _named_arguments(signature, args, kwargs):
        found = _first_bad_value(value, name)
        if found:
            path, bad = found
            label = name if name.startswith("positional argument ") else f"argument {name!r}"
            where = label if path == name else f"{label} (at {path})"
            if isinstance(bad, str):
                return PayloadError(
                    f"{job_name}: {where} is {_describe(bad)}. Job arguments travel as JSON "
                    f"to the engine; {_hint(bad)}."
                )
            return TypeError(
                f"{job_name}: {where} is {_describe(bad)}, which is not JSON serializable. "
                f"Job arguments travel as JSON; {_hint(bad)}."
            )
    try:
        size = payload_size({"args": list(args), "kwargs": kwargs})
    except (TypeError, ValueError):
        return TypeError(f"{job_name}: the arguments are not JSON serializable ({ALLOWED}).")
    return too_large_error(job_name, "the arguments are", size)


def too_large_error(where: str, what: str, size: int, advice: str = "") -> PayloadError:
    """The error for a payload of ``size`` bytes that does not fit in one engine message."""
    return PayloadError(
        f"{where}: {what} {_too_large(size)}. Nothing was enqueued. {advice}Store large data "
        "elsewhere (a model, a file in storage) and pass its key."
    )


def return_value_error(job_name: str, value: Any) -> TypeError | ValueError:
    """Build the error that fails a run whose return value is not JSON (TypeError), or that
    the engine would refuse (ValueError)."""
    found = _first_bad_value(value, "return value")
    if found is None:
        try:
            size = payload_size(value)
        except (TypeError, ValueError):
            found = ("return value", value)
        else:
            return PayloadError(
                f"{job_name} returned {_too_large(size)}. Store large results "
                "elsewhere (a model, a file in storage) and return its key."
            )
    path, bad = found
    where = "" if path == "return value" else f" (at {path})"
    if isinstance(bad, str):
        return PayloadError(
            f"{job_name} returned {_describe(bad)}{where}. Job results travel as JSON to the "
            f"engine; {_hint(bad)}."
        )
    return TypeError(
        f"{job_name} returned {_describe(bad)}{where}, which is not JSON serializable. "
        f"Job results travel as JSON; return only {ALLOWED}."
    )
