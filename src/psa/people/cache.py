"""The `people` generation: it changes whenever a person, their roles, skills, cost rates or
login do, so
that the people list can be served from memory until then (see core.generations).

Signals, not service calls, because the admin and Django's own user changes write these tables
too; bulk writes send no signals, so the code that makes them bumps the generation itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models.signals import m2m_changed, post_delete, post_save

from psa.core import generations
from psa.core.generations import GenerationCache

PEOPLE = "people"
people_pages = GenerationCache(PEOPLE)


def changed(**_: Any) -> None:
    generations.bump(PEOPLE)


def connect() -> None:
    from psa.people.models import CostRate, Person, PersonRole, Skill

    for model in (Person, PersonRole, Skill, CostRate, User):
        post_save.connect(changed, sender=model, dispatch_uid=f"people-gen-save-{model.__name__}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"people-gen-del-{model.__name__}")
    m2m_changed.connect(changed, sender=Person.skills.through, dispatch_uid="people-gen-skills")
