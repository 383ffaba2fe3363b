from __future__ import annotations

from decimal import Decimal

import pytest

from psa.engagements import rules
from psa.engagements.models import Kind, Status
from psa.engagements.rules import MilestoneSpec

D = Decimal


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (Status.PIPELINE, Status.BOOKED, True),
        (Status.PIPELINE, Status.CANCELLED, True),
        (Status.PIPELINE, Status.ACTIVE, False),
        (Status.PIPELINE, Status.COMPLETE, False),
        (Status.BOOKED, Status.ACTIVE, True),
        (Status.BOOKED, Status.PIPELINE, True),
        (Status.BOOKED, Status.COMPLETE, False),
        (Status.ACTIVE, Status.COMPLETE, True),
        (Status.ACTIVE, Status.CANCELLED, True),
        (Status.ACTIVE, Status.PIPELINE, False),
        (Status.COMPLETE, Status.ACTIVE, False),
        (Status.CANCELLED, Status.PIPELINE, False),
    ],
)
def test_status_transitions(current: str, target: str, allowed: bool) -> None:
    assert (rules.transition_error(current, target) is None) is allowed


def test_refused_transition_says_what_is_allowed() -> None:
    message = rules.transition_error(Status.PIPELINE, Status.COMPLETE)
    assert message == rules.ERR_TRANSITION.format(
        current="pipeline", target="complete", allowed="booked, cancelled"
    )
    assert rules.transition_error(Status.COMPLETE, Status.ACTIVE) == rules.ERR_TRANSITION.format(
        current="complete", target="active", allowed="none (final)"
    )


def test_default_milestones_are_four_quarters() -> None:
    specs = rules.default_milestones()
    assert [s.weight for s in specs] == [D("25")] * 4
    assert rules.milestone_errors(specs) == []


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        (["40", "30", "30"], None),
        (["33.33", "33.33", "33.34"], None),
        (["40", "30", "20"], "milestone weights must sum to 100 (they sum to 90)"),
        (["60", "50"], "milestone weights must sum to 100 (they sum to 110)"),
        (["100", "0"], rules.ERR_MILESTONE_WEIGHT),
        (["150", "-50"], rules.ERR_MILESTONE_WEIGHT),
        ([], rules.ERR_NO_MILESTONES),
    ],
)
def test_milestone_weights(weights: list[str], error: str | None) -> None:
    specs = [MilestoneSpec(f"m{i}", D(w)) for i, w in enumerate(weights)]
    assert rules.milestone_errors(specs) == ([] if error is None else [error])


def test_percent_complete_by_kind() -> None:
    assert rules.percent_complete(kind=Kind.PACKAGED) == D("0")
    assert rules.percent_complete(kind=Kind.PACKAGED, packaged_complete=True) == D("100")
    assert rules.percent_complete(kind=Kind.PACKAGED, status=Status.COMPLETE) == D("100")
    assert rules.percent_complete(
        kind=Kind.CUSTOM_SOW, milestone_weights_reached=[D("25"), D("25")]
    ) == D("50")
    assert rules.percent_complete(kind=Kind.EMBEDDED_ENGINEER) is None


@pytest.mark.parametrize(
    ("current", "offered", "finished"),
    [
        (Status.PIPELINE, [Status.BOOKED, Status.CANCELLED], False),
        (Status.BOOKED, [Status.PIPELINE, Status.ACTIVE, Status.CANCELLED], False),
        (Status.ACTIVE, [Status.COMPLETE, Status.CANCELLED], False),
        (Status.COMPLETE, [], True),
        (Status.CANCELLED, [], True),
    ],
)
def test_what_may_follow_a_status_in_the_status_lists_order(
    current: str, offered: list[str], finished: bool
) -> None:
    assert rules.next_statuses(current) == offered
    assert rules.is_finished(current) is finished
    # Each offered status is one the transition rule accepts.
    assert [rules.transition_error(current, s) for s in offered] == [None] * len(offered)


def test_finished_are_exactly_the_statuses_nothing_follows() -> None:
    assert sorted(rules.FINISHED) == [Status.CANCELLED, Status.COMPLETE]
