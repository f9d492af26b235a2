"""Choosing where jobs run: inline, or on a Hatchet engine."""

from __future__ import annotations

from contextvars import ContextVar

from ..conf import conf
from .base import BaseBackend, Dispatch
from .inline import InlineBackend, inline_backend

__all__ = ["BaseBackend", "Dispatch", "InlineBackend", "get_backend", "override"]

_inline = inline_backend
_engine: BaseBackend | None = None
#: A backend that replaces the configured one (``django_hatchet.testing`` sets it).
override: ContextVar[BaseBackend | None] = ContextVar("django_hatchet_backend", default=None)


def get_backend() -> BaseBackend:
    """The backend for the current settings: inline unless a token is configured."""
    replaced = override.get()
    if replaced is not None:
        return replaced
    if conf.INLINE:
        return _inline
    global _engine
    if _engine is None:
        from .engine import EngineBackend

        _engine = EngineBackend()
    return _engine


def reset() -> None:
    """Forget the engine backend's state (settings changed: maybe another engine)."""
    global _engine
    if _engine is not None:
        _engine.close()  # Its dispatcher sends what it holds, or leaves it to the relays.
    _engine = None
