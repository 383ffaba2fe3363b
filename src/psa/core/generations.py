"""Generations and the response cache built on them.

A generation is a token per kind of data (`people`, …) that changes whenever the data does, in
the same transaction as the change. A read computed while the token was T is right for as long
as the token is T, so each web worker keeps such reads in memory under (T, what was asked), and
a change anywhere (any process, the admin) makes them unreachable at once. Reading the token is
one small query."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.db import connection

from psa.core.models import Generation

CACHE_ENTRIES = 512


def current(name: str) -> str:
    # In SQL: every cached read asks this first, and the ORM's building of the lookup cost
    # several times the database's answer (docs/benchmarks.md).
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT.format(table=Generation._meta.db_table), [name])
        row = cursor.fetchone()
    if row is None:
        return bump(name)
    return str(row[0])


_CURRENT = "SELECT value FROM {table} WHERE name = %s"


def bump(name: str) -> str:
    """A new token for this kind of data (call it in the transaction that changes the data)."""
    value = uuid.uuid4().hex
    Generation.objects.update_or_create(name=name, defaults={"value": value})
    return value


def bump_all() -> None:
    """New tokens for every kind of data (after writes that send no signals: a restore)."""
    for name in Generation.objects.values_list("name", flat=True):
        bump(name)


class GenerationCache:
    """Bytes computed under a generation, per process, least recently used out first."""

    def __init__(self, name: str, entries: int = CACHE_ENTRIES) -> None:
        self.name = name
        self.entries = entries
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()  # a threaded server shares one cache between threads

    def get_or_build(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        full = (current(self.name), key)
        with self._lock:
            found = self._items.get(full)
            if found is not None:
                self._items.move_to_end(full)
                return found
        value = build()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
