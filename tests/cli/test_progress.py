"""The one progress line of the long commands, byte for byte: a bar with the unit (schedule
import's rows, time report's people), the count alone while the total is unknown, done/total
without a bar (gitlab sync)."""

from __future__ import annotations

import io

import pytest

from psa.cli.progress import ProgressBar


def drawn(bar: ProgressBar, *calls: tuple[str, int, int], close: bool = False) -> str:
    stream = io.StringIO()
    bar.stream = stream
    for call in calls:
        bar(*call)
    if close:
        bar.close()
    return stream.getvalue()


@pytest.mark.parametrize(
    ("calls", "text"),
    [
        (
            [("checking", 1200, 4000), ("checking", 4000, 4000)],
            "\rchecking [#########                     ] 1,200/4,000 rows"
            "\rchecking [##############################] 4,000/4,000 rows\n",
        ),
        (
            [("reading", 1000, 0), ("reading", 2000, 0)],
            "\rreading  1,000 rows\rreading  2,000 rows",
        ),
        ([("reading", 1, 3)], "\rreading  [##########                    ] 1/3 rows"),
    ],
    ids=["known total", "still counting", "a third"],
)
def test_the_bar_redraws_one_line_until_the_stage_is_done(
    calls: list[tuple[str, int, int]], text: str
) -> None:
    assert drawn(ProgressBar("rows", stage_width=9), *calls) == text


def test_the_report_counts_people_in_an_eight_column_stage() -> None:
    bar = ProgressBar("people", stage_width=8)
    assert drawn(bar, ("read", 1, 24), ("read", 24, 24), ("write", 1, 1)) == (
        "\rread    [#                             ] 1/24 people"
        "\rread    [##############################] 24/24 people\n"
        "\rwrite   [##############################] 1/1 people\n"
    )


def test_without_a_bar_a_known_total_is_done_over_total() -> None:
    bar = ProgressBar(stage_width=13, bar=False)
    assert drawn(bar, ("time logs", 2, 0), ("time logs", 8, 8), ("epics", 6, 6)) == (
        "\rtime logs    2\rtime logs    8/8\n\repics        6/6\n"
    )


def test_closing_ends_an_open_line_once_and_leaves_an_ended_one() -> None:
    bar = ProgressBar("rows", stage_width=9)
    assert drawn(bar, ("checking", 0, 0), close=True) == "\rchecking 0 rows\n"
    full = "\rreading  [##############################] 3/3 rows\n"
    assert drawn(bar, ("reading", 3, 3), close=True) == full
    stream = io.StringIO()
    with ProgressBar("rows", stage_width=9, stream=stream) as progress:
        progress("reading", 5, 0)
    progress.close()
    assert stream.getvalue() == "\rreading  5 rows\n"
