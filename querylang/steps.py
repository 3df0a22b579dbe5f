"""Named steps of a load, timed for whoever listens: the public hook the load benchmark uses
to time the steps of the real ``db.load`` (patching the store's methods by name would silently
stop measuring a step that is renamed)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

Listener = Callable[[str, float], None]
F = TypeVar("F", bound=Callable[..., Any])

_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Call ``listener(step, seconds)`` after each timed step; returns the function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def step(name: str) -> Callable[[F], F]:
    """Time every call of the decorated function as the step ``name`` (free when nobody listens)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not _listeners:
                return fn(*args, **kwargs)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds = time.perf_counter() - start
                for listener in list(_listeners):
                    listener(name, seconds)

        return cast(F, timed)

    return wrap
