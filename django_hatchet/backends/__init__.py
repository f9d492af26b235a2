"""Choosing where jobs run: inline, or on a Hatchet engine."""

from __future__ import annotations

from ..conf import conf
from .base import BaseBackend, Dispatch
from .inline import InlineBackend

__all__ = ["BaseBackend", "Dispatch", "InlineBackend", "get_backend"]

_inline = InlineBackend()
_engine: BaseBackend | None = None


def get_backend() -> BaseBackend:
    """The backend for the current settings: inline unless a token is configured."""
    if conf.INLINE:
        return _inline
    global _engine
    if _engine is None:
        from .engine import EngineBackend

        _engine = EngineBackend()
    return _engine
