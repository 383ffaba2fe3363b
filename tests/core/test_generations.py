"""Generation tokens and the cache that lives by them."""

from __future__ import annotations

import pytest

from psa.core import generations
from psa.core.generations import GenerationCache

pytestmark = pytest.mark.django_db


def test_a_cached_value_lives_until_its_generation_changes() -> None:
    cache = GenerationCache("things", entries=2)
    built: list[str] = []

    def build(text: str) -> bytes:
        built.append(text)
        return text.encode()

    assert cache.get_or_build("a", lambda: build("a1")) == b"a1"
    assert cache.get_or_build("a", lambda: build("a2")) == b"a1"  # served from memory
    generations.bump("other")  # another kind of data: no effect
    assert cache.get_or_build("a", lambda: build("a3")) == b"a1"
    generations.bump("things")
    assert cache.get_or_build("a", lambda: build("a4")) == b"a4"
    assert built == ["a1", "a4"]


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = GenerationCache("things", entries=2)
    cache.get_or_build("a", lambda: b"a")
    cache.get_or_build("b", lambda: b"b")
    cache.get_or_build("a", lambda: b"never")  # a is now the most recent
    cache.get_or_build("c", lambda: b"c")  # b goes
    assert cache.get_or_build("a", lambda: b"rebuilt") == b"a"
    assert cache.get_or_build("b", lambda: b"rebuilt") == b"rebuilt"


def test_bump_all_renews_every_token() -> None:
    before = {name: generations.current(name) for name in ("people", "things")}
    generations.bump_all()
    after = {name: generations.current(name) for name in ("people", "things")}
    assert all(before[n] != after[n] for n in before)
