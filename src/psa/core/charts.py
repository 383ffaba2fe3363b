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
        return not self.bars and not self.points


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
