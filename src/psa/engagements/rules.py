"""Engagement rules on plain values: status transitions, milestones, percent complete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from psa.engagements.choices import Kind, Status

HUNDRED = Decimal("100")

# pipeline → booked → active → complete; cancelled from anything not finished.
# A booked engagement may fall back to pipeline (the deal slipped); finished ones are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PIPELINE: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.ACTIVE, Status.PIPELINE, Status.CANCELLED}),
    Status.ACTIVE: frozenset({Status.COMPLETE, Status.CANCELLED}),
    Status.COMPLETE: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Finished: no status follows. Nothing about a finished engagement changes, and no work is
# scheduled on it.
FINISHED: frozenset[str] = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)


def is_finished(status: str) -> bool:
    return status in FINISHED


def next_statuses(current: str) -> list[str]:
    """The statuses an engagement may go to from `current`, in the order of the status list
    (pipeline, booked, active, complete, cancelled): what the status form offers."""
    allowed = TRANSITIONS.get(current, frozenset())
    return [s for s in Status.values if s in allowed]


ERR_TRANSITION = "cannot go from {current} to {target}; allowed: {allowed}"
ERR_MILESTONE_SUM = "milestone weights must sum to 100 (they sum to {total})"
ERR_MILESTONE_WEIGHT = "each milestone weight must be more than 0 and at most 100"
ERR_MILESTONE_NAME = "each milestone needs a name"
ERR_MILESTONES_KIND = "only custom SOW engagements have milestones"
ERR_NO_MILESTONES = "a custom SOW needs at least one milestone"


@dataclass(frozen=True)
class MilestoneSpec:
    name: str
    weight: Decimal
    reached_on: dt.date | None = None


def default_milestones() -> list[MilestoneSpec]:
    """Four quarters: completion reads 25/50/75/100 %."""
    return [MilestoneSpec(f"{p} % complete", Decimal("25")) for p in (25, 50, 75, 100)]


def transition_error(current: str, target: str) -> str | None:
    allowed = TRANSITIONS.get(current, frozenset())
    if target in allowed:
        return None
    return ERR_TRANSITION.format(
        current=current, target=target, allowed=", ".join(sorted(allowed)) or "none (final)"
    )


def milestone_errors(specs: Sequence[MilestoneSpec]) -> list[str]:
    if not specs:
        return [ERR_NO_MILESTONES]
    errors: list[str] = []
    if any(not s.name.strip() for s in specs):
        errors.append(ERR_MILESTONE_NAME)
    if any(not s.weight.is_finite() or s.weight <= 0 or s.weight > HUNDRED for s in specs):
        errors.append(ERR_MILESTONE_WEIGHT)
    else:
        total = sum((s.weight for s in specs), Decimal("0"))
        if total != HUNDRED:
            errors.append(ERR_MILESTONE_SUM.format(total=format(total.normalize(), "f")))
    return errors


def percent_complete(
    *,
    kind: str,
    packaged_complete: bool = False,
    milestone_weights_reached: Sequence[Decimal] = (),
    status: str = Status.ACTIVE,
) -> Decimal | None:
    """Percent complete for revenue: packaged 0 or 100; custom SOW by milestones reached.
    Embedded engineer work is time and materials: no percentage (None)."""
    if kind == Kind.PACKAGED:
        return HUNDRED if packaged_complete or status == Status.COMPLETE else Decimal("0")
    if kind == Kind.CUSTOM_SOW:
        return sum(milestone_weights_reached, Decimal("0"))
    return None
