"""The close-out as a workbook (openpyxl): a summary, then the hours and cost per person and
per work item. Numbers are numeric cells, dates date cells, text never a formula."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from psa.finance.selectors import CloseOut, CostLine
from psa.integrations.spreadsheet import xlsx_cell

MONEY_FORMAT = "#,##0.00"


def _money(amounts: dict[str, Decimal]) -> str:
    return "; ".join(f"{a:,.2f} {c}" for c, a in sorted(amounts.items())) or "—"


def close_out_xlsx(close: CloseOut) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet("Close-out")
    margin = close.margin
    rows: list[tuple[str, object]] = [
        ("Engagement", close.name),
        ("Kind", close.kind),
        ("From", close.start),
        ("To", close.end),
        ("Budget hours", close.budget_hours),
        ("Actual hours", close.actual_hours),
        ("Hours variance (actual − budget)", close.hours_variance),
        ("Contract value", f"{close.contract_value:,.2f} {close.currency}"),
        ("Revenue recognised", f"{close.revenue:,.2f} {close.currency}"),
        ("Actual cost", _money(close.cost)),
        ("Budget cost (budget hours at the actual cost per hour)", _money(close.budget_cost)),
        ("Cost variance (actual − budget)", _money(close.cost_variance)),
        (
            "Margin",
            _money(margin.margin) if margin.comparable else "revenue and cost in two currencies",
        ),
        ("Margin %", margin.margin_percent if margin.margin_percent is not None else "—"),
    ]
    for label, value in rows:
        summary.append([xlsx_cell(summary, label), xlsx_cell(summary, value)])
    for title, first, lines in (
        ("People", "Person", close.people),
        ("Work items", "Work item", close.work_items),
    ):
        _lines(book, title, first, lines)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _lines(book: Workbook, title: str, first: str, lines: list[CostLine]) -> None:
    sheet = book.create_sheet(title)
    currencies = sorted({c for line in lines for c in line.cost})
    header = [first, "Hours", *(f"Cost {c}" for c in currencies)]
    sheet.append([xlsx_cell(sheet, h) for h in header])
    for line in lines:
        sheet.append(
            [
                xlsx_cell(sheet, line.name),
                xlsx_cell(sheet, line.hours),
                *(
                    xlsx_cell(sheet, line.cost.get(c, Decimal("0.00")), MONEY_FORMAT)
                    for c in currencies
                ),
            ]
        )
