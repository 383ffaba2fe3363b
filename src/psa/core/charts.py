"""Bar charts as inline SVG, laid out here and drawn by `core/_chart.html` (see
docs/decisions/0013-charts-as-server-side-svg.md): no script, no inline style (the pages'
Content-Security-Policy allows neither), readable in a screenshot and in print, with the
numbers one click away in a table beside the picture.

A chart is bars (side by side, or stacked) per label, with at most one line over them (a
target, the capacity). Values are Decimals; None is "no figure" (no bar, a gap in the line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28  # room for the axis labels
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
TICKS = 4
MAX_LABELS = 14  # beyond this the x labels thin out to every other one


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # s1, s2 … by series
    title: str  # the tooltip: label, series, value

    def __post_init__(self) -> None:
        # Tenths of a pixel: the SVG is smaller and the geometry compares exactly.
        for name in ("x", "y", "width", "height"):
            object.__setattr__(self, name, round(getattr(self, name), 1))


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    labels: list[str]
    series: list[Series]
    line: Series | None
    bars: list[Bar]
    points: str  # the line's "x,y x,y" (SVG polyline), "" without one
    markers: list[Bar]  # a small square per line value, with its tooltip
    ticks: list[Tick]
    x_labels: list[XLabel]
    width: int = WIDTH
    height: int = HEIGHT
    base_y: float = HEIGHT - BOTTOM
    left: int = LEFT
    right_x: int = WIDTH - RIGHT

    @property
    def rows(self) -> list[tuple[str, list[Decimal | None]]]:
        """The numbers table: a row per label, a column per series (and the line)."""
        columns = [*self.series, *([self.line] if self.line else [])]
        return [(label, [s.values[i] for s in columns]) for i, label in enumerate(self.labels)]

    @property
    def columns(self) -> list[str]:
        return [s.name for s in self.series] + ([self.line.name] if self.line else [])

    @property
    def empty(self) -> bool:
        """No bar and no line above 0: a period without capacity or hours (a flat line at 0
        alone says nothing a picture should)."""
        line = self.line.values if self.line else []
        return not self.bars and not any(v is not None and v > 0 for v in line)


def nice_top(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above value: an axis ending on a round number."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (*NICE_STEPS, Decimal(10)):
        if value <= step * magnitude:
            return step * magnitude
    return Decimal(10) * magnitude  # pragma: no cover - the loop ends at 10 × magnitude


def _text(value: Decimal, unit: str) -> str:
    shown = f"{value:,.0f}" if abs(value) >= 100 or value == value.to_integral() else f"{value:,}"
    return f"{shown} %" if unit == "%" else f"{shown} {unit}".rstrip()


def bar_chart(
    *,
    title: str,
    unit: str,
    labels: Sequence[str],
    series: Sequence[Series],
    line: Series | None = None,
    stacked: bool = False,
) -> Chart:
    """Lay the chart out: the y axis from 0 to a round number above the highest bar (or stack)
    and line value; negative values are drawn as 0 high (their number stays in the table)."""
    n = len(labels)
    highest = Decimal(0)
    for i in range(n):
        values = [s.values[i] or Decimal(0) for s in series]
        tops = [sum((v for v in values if v > 0), Decimal(0))] if stacked else values
        if line is not None and line.values[i] is not None:
            tops.append(line.values[i] or Decimal(0))
        highest = max([highest, *tops])
    top = nice_top(highest)
    base = HEIGHT - BOTTOM
    plot_h = base - TOP
    plot_w = WIDTH - LEFT - RIGHT

    def y(value: Decimal) -> float:
        return base - float(max(value, Decimal(0)) / top) * plot_h

    slot = plot_w / max(n, 1)
    gap = slot * 0.2
    lanes = 1 if stacked else max(len(series), 1)
    lane_w = (slot - gap) / lanes
    bars: list[Bar] = []
    points: list[str] = []
    markers: list[Bar] = []
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + gap / 2
        below = Decimal(0)
        for k, s in enumerate(series):
            value = s.values[i]
            if value is None or value <= 0:
                continue
            title_text = f"{label} · {s.name}: {_text(value, unit)}"
            if stacked:
                top_y, bottom_y = y(below + value), y(below)
                bars.append(Bar(x0, top_y, slot - gap, bottom_y - top_y, f"s{k + 1}", title_text))
                below += value
            else:
                bar_y = y(value)
                bars.append(
                    Bar(x0 + k * lane_w, bar_y, lane_w, base - bar_y, f"s{k + 1}", title_text)
                )
        if line is not None and line.values[i] is not None:
            value = line.values[i] or Decimal(0)
            cx, cy = LEFT + (i + 0.5) * slot, y(value)
            points.append(f"{cx:.1f},{cy:.1f}")
            markers.append(
                Bar(cx - 3, cy - 3, 6, 6, "line", f"{label} · {line.name}: {_text(value, unit)}")
            )
    every = 2 if n > MAX_LABELS else 1
    x_labels = [
        XLabel(LEFT + (i + 0.5) * slot, label) for i, label in enumerate(labels) if i % every == 0
    ]
    ticks = [Tick(y(top * j / TICKS), _text(top * j / TICKS, unit)) for j in range(TICKS + 1)]
    return Chart(
        title=title,
        unit=unit,
        labels=list(labels),
        series=list(series),
        line=line,
        bars=bars,
        points=" ".join(points),
        markers=markers,
        ticks=ticks,
        x_labels=x_labels,
    )


# ------------------------------------------------------------------ horizontal bars and meters
#
# A row per label (a person, an epic) reads where names are too long for a column's foot, and
# a meter (hours against a budget or a capacity) fits in a table cell. The part of a bar beyond
# its limit is drawn apart ("over", red in psa.css) and said in words too, never by colour alone.

H_LABEL_W = 180  # the labels' column, right-aligned against the bars
H_RIGHT = 112  # the values' column, right-aligned at the edge: "450 h of 500 h"
ROW_H, BAR_H = 24, 14
H_TOP, H_AXIS = 6, 20
LABEL_CHARS = 24  # a longer label is cut short on the picture (whole in its tooltip and table)
METER_W, METER_H = 120, 12


@dataclass(frozen=True)
class Row:
    label: str
    value: Decimal | None
    limit: Decimal | None = None  # the capacity, the budget: a tick across the bar
    note: str = ""  # a flag the approver must see (a gap): marks the row, said in words


@dataclass(frozen=True)
class HBar:
    """One row's picture: the bar up to its limit, the part beyond it, the limit's tick."""

    label: str
    shown_label: str
    y: float
    within: Bar | None  # None: no figure, or 0
    beyond: Bar | None  # the part over the limit
    limit_x: float | None
    value_x: float
    text: str  # the value (of its limit) in the right column, "—" without one
    note: str

    @property
    def mid_y(self) -> float:
        return self.y + BAR_H / 2

    @property
    def limit_y(self) -> tuple[float, float]:
        """The limit's tick stands out of the bar a little above and below."""
        return self.y - 3, self.y + BAR_H + 3

    def __post_init__(self) -> None:
        for name in ("y", "value_x", "limit_x"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, round(value, 1))


@dataclass(frozen=True)
class HChart:
    title: str
    unit: str
    value_name: str
    limit_name: str
    rows: list[Row]
    bars: list[HBar]
    ticks: list[XLabel]  # along the foot: x and text
    height: int
    width: int = WIDTH
    left: int = H_LABEL_W
    right_x: int = WIDTH - H_RIGHT
    bar_h: int = BAR_H

    @property
    def empty(self) -> bool:
        return not any(b.within or b.beyond for b in self.bars)

    @property
    def has_limit(self) -> bool:
        return any(r.limit is not None for r in self.rows)

    @property
    def has_notes(self) -> bool:
        return any(r.note for r in self.rows)

    @property
    def axis_y(self) -> int:
        return self.height - H_AXIS


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _split(
    value: Decimal, limit: Decimal | None, x0: float, scale: float, y: float, h: float, title: str
) -> tuple[Bar | None, Bar | None]:
    """The bar of `value` from x0, cut at `limit`: (the part within, the part beyond)."""
    if value <= 0:
        return None, None
    inside = value if limit is None or value <= limit else max(limit, Decimal(0))
    within = Bar(x0, y, float(inside) * scale, h, "within", title) if inside > 0 else None
    beyond = None
    if limit is not None and value > limit:
        start = x0 + float(inside) * scale
        beyond = Bar(start, y, float(value - inside) * scale, h, "beyond", title)
    return within, beyond


def hbar_chart(
    *,
    title: str,
    unit: str,
    rows: Sequence[Row],
    value_name: str = "Hours",
    limit_name: str = "Capacity",
) -> HChart:
    """A bar per row from 0 to a round number above the highest value or limit; None is no
    bar (its row says "—"), a negative value no bar (its number stays in the table)."""
    highest = max([Decimal(0)] + [v for r in rows for v in (r.value, r.limit) if v is not None])
    top = nice_top(highest)
    plot_w = WIDTH - H_LABEL_W - H_RIGHT
    scale = plot_w / float(top)
    bars = []
    for i, r in enumerate(rows):
        y = H_TOP + i * ROW_H + (ROW_H - BAR_H) / 2
        tooltip = f"{r.label} · {value_name}: " + ("—" if r.value is None else _text(r.value, unit))
        if r.limit is not None:
            tooltip += f" of {_text(r.limit, unit)} {limit_name.lower()}"
        if r.note:
            tooltip += f" · {r.note}"
        within, beyond = (
            _split(r.value, r.limit, H_LABEL_W, scale, y, BAR_H, tooltip)
            if r.value is not None
            else (None, None)
        )
        bars.append(
            HBar(
                label=r.label,
                shown_label=_shorten(r.label) + (" ⚑" if r.note else ""),
                y=y,
                within=within,
                beyond=beyond,
                limit_x=H_LABEL_W + float(max(r.limit, Decimal(0))) * scale
                if r.limit is not None
                else None,
                value_x=WIDTH - 4,
                text=("—" if r.value is None else _text(r.value, unit))
                + (f" of {_text(r.limit, unit)}" if r.limit is not None else ""),
                note=r.note,
            )
        )
    height = H_TOP + len(rows) * ROW_H + H_AXIS
    ticks = [
        XLabel(round(H_LABEL_W + plot_w * j / TICKS, 1), _text(top * j / TICKS, unit))
        for j in range(TICKS + 1)
    ]
    return HChart(
        title=title,
        unit=unit,
        value_name=value_name,
        limit_name=limit_name,
        rows=list(rows),
        bars=bars,
        ticks=ticks,
        height=height,
    )


@dataclass(frozen=True)
class Meter:
    """Hours used against a limit (a budget), small enough for a table cell: the scale ends at
    the larger of the two, so an overrun shows as the red part beyond the limit's tick."""

    used: Decimal
    limit: Decimal
    unit: str
    within: Bar | None
    beyond: Bar | None
    limit_x: float
    over_by: Decimal  # 0 within the limit
    width: int = METER_W
    height: int = METER_H

    @property
    def over(self) -> bool:
        return self.over_by > 0

    @property
    def text(self) -> str:
        """What the colour says, in words (never colour alone)."""
        if self.over:
            return f"over by {self.over_by} {self.unit}"
        return f"{self.limit - self.used} {self.unit} left"


def meter(*, used: Decimal, limit: Decimal, unit: str = "h") -> Meter | None:
    """None without a limit (a budget of 0 is no budget: nothing to burn against)."""
    if limit <= 0:
        return None
    top = max(used, limit)
    scale = METER_W / float(top)
    title = f"{_text(used, unit)} of {_text(limit, unit)}"
    within, beyond = _split(used, limit, 0, scale, 0, METER_H, title)
    return Meter(
        used=used,
        limit=limit,
        unit=unit,
        within=within,
        beyond=beyond,
        limit_x=round(float(limit) * scale, 1),
        over_by=max(used - limit, Decimal(0)),
    )
