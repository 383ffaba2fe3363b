"""The close-out as files: a workbook (openpyxl: a summary, then the hours and cost per person
and per work item; numbers are numeric cells, dates date cells, text never a formula) and a PDF
(fpdf2, with the DejaVu Sans that PSA ships, so any name prints and no system font is needed)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook

from psa.engagements.choices import Kind
from psa.finance import rules
from psa.finance.selectors import (
    CloseOut,
    CostLine,
    EntriesBehind,
    Forecast,
    MarginReport,
    RevenueReport,
    UtilizationReport,
)
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


def summary(close: CloseOut) -> list[tuple[str, str]]:
    """The summary's rows as the reader sees them, the same in the PDF and on the page."""
    margin = close.margin
    variance = f"{close.hours_variance}"
    if close.hours_variance_percent is not None:
        variance += f" ({close.hours_variance_percent} %)"
    if margin.comparable:
        margin_text = _money(margin.margin)
        if margin.margin_percent is not None:
            margin_text += f" ({margin.margin_percent} %)"
    else:
        margin_text = "revenue and cost in two currencies"
    return [
        ("Kind", Kind(close.kind).label if close.kind in Kind.values else close.kind),
        ("Worked", f"{close.start:%d %b %Y} – {close.end:%d %b %Y}"),
        ("Budget hours", f"{close.budget_hours}"),
        ("Actual hours", f"{close.actual_hours}"),
        ("Hours variance (actual − budget)", variance),
        ("Contract value", f"{close.contract_value:,.2f} {close.currency}"),
        ("Revenue recognised", f"{close.revenue:,.2f} {close.currency}"),
        ("Actual cost", _money(close.cost)),
        ("Budget cost (budget hours at the actual cost per hour)", _money(close.budget_cost)),
        ("Cost variance (actual − budget)", _money(close.cost_variance)),
        ("Margin", margin_text),
    ]


FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"


class _ClosePDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(0, 5, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")


def close_out_pdf(close: CloseOut, *, prepared_by: str, prepared_at: dt.datetime) -> bytes:
    """The close-out as an A4 PDF: the summary, then per person and per work item. The creation
    date is the preparation time, so the same close-out prepared at the same moment renders to
    the same bytes."""
    footer = (
        f"PSA close-out of engagement {close.engagement_id} · prepared by {prepared_by} on "
        f"{prepared_at:%d %b %Y %H:%M %Z} from finally approved time"
    )
    pdf = _ClosePDF(footer)
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"Close-out: {close.name}")
    pdf.set_author(prepared_by)
    pdf.set_creator("PSA")
    pdf.set_lang("en")
    pdf.set_creation_date(prepared_at)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, "Close-out: cost vs actual", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, close.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT, size=9)
    with pdf.table(col_widths=(55, 45), first_row_as_headings=False, line_height=5.5) as table:
        for label, value in summary(close):
            row = table.row()
            row.cell(label)
            row.cell(value)
    if close.cost_gaps:
        pdf.ln(2)
        gaps = ", ".join(f"{g.name} ({g.hours} h)" for g in close.cost_gaps)
        pdf.multi_cell(
            0,
            5,
            f"Hours without a cost rate are not costed: {gaps}.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    for title, first, lines in (
        ("Per person", "Person", close.people),
        ("Per work item", "Work item", close.work_items),
    ):
        pdf.ln(4)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=(60, 15, 25), text_align=("LEFT", "RIGHT", "RIGHT"), line_height=5.5
        ) as table:
            table.row([first, "Hours", "Cost"])
            for line in lines:
                table.row([line.name, f"{line.hours}", _money(line.cost)])
    return bytes(pdf.output())


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


def entries_xlsx(behind: EntriesBehind) -> bytes:
    """The entries behind a figure, one per row, with the totals last."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Entries")
    rate = "Bill rate" if behind.basis == "approved" else "Cost rate"
    header = ["Date", "Person", "Work item", "Category", "Billable", "Hours", rate, "Currency"]
    sheet.append([xlsx_cell(sheet, h) for h in [*header, "Amount"]])
    for line in behind.lines:
        sheet.append(
            [
                xlsx_cell(sheet, line.date),
                xlsx_cell(sheet, line.person),
                xlsx_cell(sheet, line.work_item),
                xlsx_cell(sheet, line.category),
                xlsx_cell(sheet, "yes" if line.billable else "no"),
                xlsx_cell(sheet, line.hours),
                xlsx_cell(sheet, line.rate if line.rate is not None else "no rate"),
                xlsx_cell(sheet, line.currency),
                xlsx_cell(sheet, line.amount if line.amount is not None else "—"),
            ]
        )
    sheet.append([xlsx_cell(sheet, "Total"), *([None] * 4), xlsx_cell(sheet, behind.hours)])
    for currency, amount in behind.amounts.items():
        sheet.append(
            [
                xlsx_cell(sheet, f"Amount {currency}"),
                *([None] * 7),
                xlsx_cell(sheet, amount, MONEY_FORMAT),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ the reports as workbooks

Sheet = tuple[str, list[str], list[list[object]]]


def _workbook(sheets: list[Sheet]) -> bytes:
    """Sheets of a header and rows: numbers as numeric cells, dates as dates, None empty."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([xlsx_cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([None if v is None else xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def utilization_xlsx(report: UtilizationReport, majors: list[str]) -> bytes:
    header = [
        "Group",
        "People",
        "Capacity h",
        "Hours h",
        *(f"{m} h" for m in majors),
        "Billable h",
        "Billable %",
        "Target %",
        "Productive h",
        "Productive %",
        "Booked %",
    ]

    def row(label: str, f: rules.Utilization) -> list[object]:
        return [
            label,
            f.people,
            f.capacity,
            f.hours,
            *(f.by_major.get(m, rules.ZERO) for m in majors),
            f.billable,
            f.billable_utilization,
            f.target,
            f.productive,
            f.productive_utilization,
            f.booked_utilization,
        ]

    rows = [row(r.label, r.figures) for r in report.rows] + [row("Everyone", report.total)]
    return _workbook([(f"Utilization {report.start}", header, rows)])


def revenue_xlsx(report: RevenueReport) -> bytes:
    rows: list[list[object]] = [
        [
            r.name,
            _kind(r.kind),
            r.currency,
            r.recognized,
            r.basis,
            r.hours_percent,
            r.milestone_percent,
            r.estimate_at_completion,
        ]
        for r in report.rows
    ]
    totals: list[list[object]] = [
        [_kind(kind), currency, amount]
        for (kind, currency), amount in sorted(report.totals.items())
    ]
    unapproved: list[list[object]] = [[u.name, u.hours] for u in report.unapproved]
    return _workbook(
        [
            (
                "Revenue",
                [
                    "Engagement",
                    "Kind",
                    "Currency",
                    "Recognised",
                    "Basis",
                    "Hours %",
                    "Milestones %",
                    "Estimate at completion",
                ],
                rows,
            ),
            ("Totals", ["Kind", "Currency", "Recognised"], totals),
            ("Unapproved", ["Person", "Time and materials hours not finally approved"], unapproved),
        ]
    )


def margin_xlsx(report: MarginReport) -> bytes:
    rows: list[list[object]] = []
    for r in report.rows:
        f = r.figures
        for currency in f.currencies:
            margin = f.margin.get(currency) if f.comparable else None
            rows.append(
                [
                    r.label,
                    currency,
                    f.revenue.get(currency, rules.ZERO),
                    f.cost.get(currency, rules.ZERO),
                    margin,
                    f.margin_percent if f.comparable else None,
                ]
            )
    adjustments: list[list[object]] = [
        [a.period, a.name, c, a.figures.revenue.get(c), a.figures.cost.get(c)]
        for a in report.adjustments
        for c in a.figures.currencies
    ]
    return _workbook(
        [
            (
                "Margin",
                [report.group.capitalize(), "Currency", "Revenue", "Cost", "Margin", "Margin %"],
                rows,
            ),
            (
                "Prior-period adjustments",
                ["Closed period", "Engagement", "Currency", "Revenue", "Cost"],
                adjustments,
            ),
        ]
    )


def forecast_xlsx(forecast: Forecast) -> bytes:
    weeks: list[list[object]] = [
        [
            w.monday,
            w.capacity,
            w.confirmed,
            w.tentative,
            w.tentative_weighted,
            w.internal,
            w.forecast,
        ]
        for w in forecast.weeks
    ]
    revenue: list[list[object]] = [
        [r.name, _kind(r.kind), r.currency, r.amount, r.basis] for r in forecast.revenue
    ]
    return _workbook(
        [
            (
                "Weeks",
                [
                    "Week of",
                    "Capacity h",
                    "Confirmed h",
                    "Tentative h",
                    "Weighted tentative h",
                    "Internal h",
                    "Expected billable %",
                ],
                weeks,
            ),
            ("Expected revenue", ["Engagement", "Kind", "Currency", "Expected", "Basis"], revenue),
        ]
    )


def _kind(kind: str) -> str:
    return Kind(kind).label if kind in Kind.values else kind
