"""Roles (DESIGN.md's table) and the acting user as services see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    PSE = "pse", "PSE (consultant, trainer)"
    PROJECT_COORDINATOR = "project_coordinator", "Project coordinator"
    DELIVERY_MANAGER = "delivery_manager", "Delivery manager"
    HEAD_OF_PS = "head_of_ps", "Head of PS"
    FINANCE_PARTNER = "finance_partner", "Finance partner"
    CONTROLLER = "controller", "Controller"
    FINANCE_BUSINESS_PARTNER = "finance_business_partner", "Finance business partner"
    EDUCATION_MANAGER = "education_manager", "Education practice manager"
    INSTRUCTIONAL_DESIGNER = "instructional_designer", "Instructional designer"
    DEMO_SYSTEMS_ENGINEER = "demo_systems_engineer", "Demo systems engineer"
    SALES = "sales", "Sales"


@dataclass(frozen=True)
class Actor:
    """Who is acting: the login, the person behind it (if any) and their roles."""

    user_id: int | None
    username: str
    person_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False

    def has_any(self, *roles: str) -> bool:
        return self.is_admin or any(r in self.roles for r in roles)

    @property
    def label(self) -> str:
        return self.username


SYSTEM = Actor(user_id=None, username="system", is_admin=True)


def is_anonymous(user: AbstractBaseUser | AnonymousUser) -> bool:
    return not user.is_authenticated
