"""Whose time each role is shown, person by person, on the two pages that list people: the
quarterly report's person picker (and the team export it offers) and the timesheets page's
"who is missing what". Both come from timetracking.selectors' one rule of whose time one may see
(time_owners_visible_to / may_see_time_of); the expected people are written out by hand here,
never computed with that rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import selectors

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # FY27 Q4: 1 Nov 2026 - 31 Jan 2027
WEEKS_LISTED = 4  # the timesheets page lists the last four weeks

# Who is who: the acting roles and the people they may or may not be shown.
#   Dana Manager (delivery manager) manages Alex, Blair and Gil (Gil left before the quarter);
#   Lee Lead (a PSE, no manager role) manages Casey; Hana (head of PS), Fay (finance) and Ada
#   (an administrator with no role) manage nobody.
EVERYONE_IN_Q4 = [
    "Ada Admin",
    "Alex Pse",
    "Blair Pse",
    "Casey Pse",
    "Dana Manager",
    "Fay Finance",
    "Hana Head",
    "Lee Lead",
]
EVERY_PSE = ["Alex Pse", "Blair Pse", "Casey Pse", "Lee Lead"]  # Gil left: no weeks missing
MY_TEAM, EVERYONE_TEAM, NO_TEAM = "my team", "everyone", "none"

# acting person -> (report picker, team export, missing timesheets, the missing list's scope)
MATRIX: dict[str, tuple[list[str], str, list[str], str]] = {
    # a PSE picks nobody (the picker is hidden: only their own report) and follows nobody
    "Alex Pse": ([], NO_TEAM, [], ""),
    # a PSE who leads someone picks among their own and their report's, exports that team;
    # with no delivery manager role they follow nobody's timesheets
    "Lee Lead": (["Casey Pse", "Lee Lead"], MY_TEAM, [], ""),
    # a delivery manager reads everyone's time but follows their own reports' timesheets
    "Dana Manager": (EVERYONE_IN_Q4, EVERYONE_TEAM, ["Alex Pse", "Blair Pse"], "your reports"),
    "Hana Head": (EVERYONE_IN_Q4, EVERYONE_TEAM, EVERY_PSE, "every PSE"),
    # finance reads everyone's time and follows no timesheets
    "Fay Finance": (EVERYONE_IN_Q4, EVERYONE_TEAM, [], ""),
    # an administrator holds every role
    "Ada Admin": (EVERYONE_IN_Q4, EVERYONE_TEAM, EVERY_PSE, "every PSE"),
}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def team(make_person: Callable[..., Person]) -> dict[str, Person]:
    dana = make_person(Role.DELIVERY_MANAGER, name="Dana Manager")
    lee = make_person(Role.PSE, name="Lee Lead")
    made = [
        dana,
        lee,
        make_person(Role.PSE, name="Alex Pse", manager=dana),
        make_person(Role.PSE, name="Blair Pse", manager=dana),
        make_person(Role.PSE, name="Gil Gone", manager=dana, end_date=dt.date(2026, 6, 30)),
        make_person(Role.PSE, name="Casey Pse", manager=lee),
        make_person(Role.HEAD_OF_PS, name="Hana Head"),
        make_person(Role.FINANCE_PARTNER, name="Fay Finance"),
        make_person(name="Ada Admin", user__is_superuser=True),
    ]
    return {p.name: p for p in made}


def _team_export(context: Any) -> str:
    if not context["can_team"]:
        return NO_TEAM
    return EVERYONE_TEAM if context["team_manager"] is None else MY_TEAM


@pytest.mark.parametrize("who", list(MATRIX))
def test_the_report_picker_and_the_team_export_show_exactly_whose_time_one_may_see(
    team: dict[str, Person], client_for: Callable[[Person], Client], who: str
) -> None:
    picker, export, _, _ = MATRIX[who]
    response = client_for(team[who]).get("/time/report/?year=2027&quarter=4")
    assert response.status_code == 200
    assert [p.name for p in response.context["choices"]] == picker
    assert _team_export(response.context) == export
    if export == MY_TEAM:
        assert response.context["team_manager"] == team[who].pk


@pytest.mark.parametrize("who", list(MATRIX))
def test_the_timesheets_page_lists_exactly_whose_weeks_one_follows(
    team: dict[str, Person], client_for: Callable[[Person], Client], who: str
) -> None:
    _, _, missing, scope = MATRIX[who]
    response = client_for(team[who]).get("/time/timesheets/")
    assert response.status_code == 200
    listed = [m.person.name for m in response.context["missing"]]
    assert sorted(set(listed)) == missing
    assert len(listed) == WEEKS_LISTED * len(missing)  # nobody has submitted a week
    assert response.context["scope"] == scope
    html = response.content.decode()
    assert ("Who is missing what" in html) == bool(missing)
    for name in team:
        if name not in missing:
            assert f">{name}</a></td>" not in html, name


def test_the_rule_as_a_query_agrees_with_the_rule_per_person(
    team: dict[str, Person], actor_of: Callable[[Person], Actor]
) -> None:
    people = list(Person.objects.order_by("name"))
    for who in team.values():
        actor = actor_of(who)
        visible = selectors.time_owners_visible_to(actor, owner="")
        listed = Person.objects.filter(visible) if visible is not None else Person.objects.all()
        expected = [p.name for p in people if selectors.may_see_time_of(actor, p)]
        assert sorted(p.name for p in listed) == expected, who.name


def test_a_team_is_readable_whole_only_by_those_who_see_everyone_or_by_its_manager(
    team: dict[str, Person], actor_of: Callable[[Person], Actor]
) -> None:
    dana, lee, alex = team["Dana Manager"], team["Lee Lead"], team["Alex Pse"]
    seen = {
        (who.name, whose): selectors.may_see_team_time(actor_of(who), manager_id=manager_id)
        for who in (dana, lee, alex)
        for whose, manager_id in (("everyone", None), ("Dana's", dana.pk), ("Lee's", lee.pk))
    }
    assert seen == {
        ("Dana Manager", "everyone"): True,
        ("Dana Manager", "Dana's"): True,
        ("Dana Manager", "Lee's"): True,
        ("Lee Lead", "everyone"): False,
        ("Lee Lead", "Dana's"): False,
        ("Lee Lead", "Lee's"): True,
        ("Alex Pse", "everyone"): False,
        ("Alex Pse", "Dana's"): False,
        ("Alex Pse", "Lee's"): False,
    }
