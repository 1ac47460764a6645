"""Running one piece of work in several threads at once (the concurrency tests on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def at_once(n: int, work: Callable[[int], T]) -> list[T | Exception]:
    """`work(i)` for i in 0…n-1, each in its own thread, all released together by a barrier.

    Returns what each call returned or raised, in the order they finished (n items once every
    thread is done). Each thread closes its own database connections when its work is done.
    """
    barrier = threading.Barrier(n)
    results: list[T | Exception] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        out: T | Exception
        try:
            barrier.wait(timeout=10)
            out = work(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            out = exc
        finally:
            connections.close_all()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
