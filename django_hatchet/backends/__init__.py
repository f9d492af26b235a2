"""Choosing where jobs run: inline, or on a Hatchet engine."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ..conf import conf
from .base import BaseBackend, Dispatch
from .inline import InlineBackend

__all__ = ["BaseBackend", "Dispatch", "InlineBackend", "get_backend"]

_inline = InlineBackend()


def get_backend() -> BaseBackend:
    """The backend for the current settings: inline unless a token is configured."""
    if conf.INLINE:
        return _inline
    raise ImproperlyConfigured(
        "HATCHET_CLIENT_TOKEN is set, but this version of django-hatchet cannot dispatch jobs "
        "to an engine yet. Unset the token, or set HATCHET_ALWAYS_INLINE = True."
    )
