"""The process's Hatchet client: built from the settings, with a deadline on every call."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import grpc
from django.core.exceptions import ImproperlyConfigured
from hatchet_sdk import ClientConfig, Hatchet
from hatchet_sdk.config import ClientTLSConfig

from ..conf import conf, scrub

__all__ = [
    "EngineError",
    "TooLarge",
    "address",
    "client_config",
    "get_client",
    "maybe_handled",
    "registered",
    "reset_client",
    "unreachable",
]

logger = logging.getLogger("django_hatchet")

_lock = threading.Lock()
_client: Hatchet | None = None
#: The jobs whose definition this process has put on the engine through this client
#: (``dispatch.ensure_registered``); forgotten with the client.
registered: set[str] = set()


class EngineError(Exception):
    """The engine refused us, or cannot be reached; the message says what to fix."""


class TooLarge(Exception):
    """The engine's answer does not fit in a gRPC message."""


def get_client() -> Hatchet:
    """The process's Hatchet client, built on first use from the settings and environment."""
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = Hatchet(config=client_config())
                _bound_calls(_client, conf.DISPATCH_TIMEOUT.total_seconds())
            client = _client
    return client


class _Deadline:
    """A gRPC stub whose calls carry a deadline unless given one: the SDK sets none, so an
    engine that accepts the connection but never answers would hang ``.delay()``."""

    def __init__(self, stub: Any, timeout: float) -> None:
        self._stub, self._timeout = stub, timeout

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._stub, name)
        timeout = self._timeout

        def with_deadline(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return call(*args, **kwargs)

        return with_deadline


def _bound_calls(client: Hatchet, timeout: float) -> None:
    """Give a deadline to the calls of both stubs of the SDK's admin client: triggers and
    schedules (v0), job registrations and run details (v1)."""
    admin = client._client.admin
    admin.v0_client = _Deadline(admin._get_or_create_v0_client(), timeout)  # type: ignore[assignment]
    admin.client = _Deadline(admin._get_or_create_v1_client(), timeout)  # type: ignore[assignment]


def reset_client() -> None:
    global _client
    with _lock:
        _client = None
        registered.clear()


def _forget_after_fork() -> None:
    """In a forked child (a pre-forking server's worker): the parent's gRPC channel does not
    work here, and its lock may have been held at the fork. The child builds its own client
    at its first use."""
    global _client, _lock
    _lock = threading.Lock()
    _client = None


os.register_at_fork(after_in_child=_forget_after_fork)


def client_config() -> ClientConfig:
    """Django settings first; the SDK reads anything they leave unset from ``HATCHET_CLIENT_*``."""
    from hatchet_sdk.config import TenacityConfig

    options: dict[str, Any] = {
        "token": conf.CLIENT_TOKEN,
        # The SDK retries a failed call 5 times with backoff (about 19 s when the engine is
        # down); HATCHET_DISPATCH_ATTEMPTS bounds it, and HATCHET_ON_UNREACHABLE takes over.
        "tenacity": TenacityConfig(max_attempts=conf.DISPATCH_ATTEMPTS),
    }
    given = conf.CLIENT_OPTIONS
    tls_strategy = given.pop("tls_strategy", None)
    options.update(given)
    if tls_strategy is not None:
        options["tls_config"] = ClientTLSConfig(strategy=tls_strategy)
    try:
        return ClientConfig(**options)
    except ValueError as exc:  # pydantic's ValidationError, which quotes the values (the token)
        errors: list[Any] = getattr(exc, "errors", list)()
        # The SDK's message adds "Hint: these are the first few characters of the token".
        reasons = "; ".join(str(e.get("msg", "")).split(" Hint:")[0] for e in errors)
        raise ImproperlyConfigured(
            f"The Hatchet client settings are not valid: {scrub(reasons or type(exc).__name__)}. "
            "Check "
            "HATCHET_CLIENT_TOKEN (a token of your engine's tenant) and the other "
            "HATCHET_CLIENT_* settings."
        ) from None


#: gRPC codes that mean the engine could not be reached (not that it refused the request).
UNREACHABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def unreachable(exc: BaseException) -> str | None:
    """Why the engine could not be reached, if that is what ``exc`` says; else None."""
    if isinstance(exc, grpc.RpcError) and exc.code() in UNREACHABLE_CODES:
        return f"{exc.code().name}: {exc.details()}"
    return None


def maybe_handled(exc: BaseException) -> bool:
    """True when the engine may have handled the request that failed with ``exc``:
    UNAVAILABLE means it was not (safe to send again); DEADLINE_EXCEEDED that no answer came
    in time, so it may have been."""
    return not (isinstance(exc, grpc.RpcError) and exc.code() == grpc.StatusCode.UNAVAILABLE)


def address() -> str:
    return str(get_client()._client.config.host_port)
