"""The schedule spreadsheet from the pages: a download of the schedule for anyone, and for the
coordinator and the head of PS an upload checked first in the background (every bad row
listed, nothing written), then imported once from the check's job page."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.text import capfirst
from openpyxl import load_workbook

from psa.core import clock, jobs
from psa.core.models import Job
from psa.core.roles import Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling import forms, imports, services, sheets
from psa.scheduling.models import Booking
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import refusal_page, unchanged
from tests.scheduling.test_sheets import csv_file, row, xlsx_file

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
PAGE = "/schedule/spreadsheet/"


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def coordinator(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PROJECT_COORDINATOR, name="Priya Coordinator")


@pytest.fixture
def alex(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE, name="Alex Doe", email="alex@example.com")


@pytest.fixture(autouse=True)
def rollout() -> Any:
    acme = CustomerFactory.create(name="Acme")
    return EngagementFactory.create(customer=acme, name="Rollout", status=Status.ACTIVE)


def upload(client: Client, data: bytes, name: str = "plan.csv", **extra: str) -> Any:
    return client.post(PAGE, {"file": SimpleUploadedFile(name, data), **extra})


def test_a_clean_spreadsheet_is_checked_then_imported_once(
    coordinator: Person, alex: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(coordinator)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'id="import-file"' in page.content.decode()

    checked = upload(
        client,
        xlsx_file(
            [
                row(hours="12"),
                row(start="2026-12-14", end="2026-12-14", hours="4", firmness="confirmed"),
            ]
        ),
        "plan.xlsx",
    )
    check = Job.objects.get()
    assert checked["Location"] == f"/jobs/{check.pk}/"
    assert Booking.objects.count() == 0  # the check writes nothing
    assert check.result is not None
    assert (check.status, check.params, check.content_type) == (
        "done",
        {"dry_run": True, "override_capacity": False},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert {k: check.result[k] for k in ("rows", "bookings", "hours", "people", "bad_rows")} == {
        "rows": 2,
        "bookings": 2,
        "hours": "16.00",
        "people": 1,
        "bad_rows": 0,
    }
    shown = client.get(checked["Location"]).content.decode()
    assert 'id="import-ready"' in shown
    assert 'id="import-confirm"' in shown

    confirmed = client.post(f"{PAGE}{check.pk}/confirm/")
    run = Job.objects.exclude(pk=check.pk).get()
    assert confirmed["Location"] == f"/jobs/{run.pk}/"
    assert run.params == {"dry_run": False, "override_capacity": False, "checked": check.pk}
    assert run.result is not None
    assert run.result["written"] is True
    assert sorted(Booking.objects.values_list("start_date", "end_date", "hours")) == [
        (dt.date(2026, 12, 7), dt.date(2026, 12, 9), Decimal("12.00")),
        (dt.date(2026, 12, 14), dt.date(2026, 12, 14), Decimal("4.00")),
    ]
    assert 'id="import-done"' in client.get(confirmed["Location"]).content.decode()
    with unchanged():
        again = client.post(f"{PAGE}{check.pk}/confirm/", follow=True)
    message = jobs.ERR_ALREADY_CONFIRMED.format(name="plan.xlsx", id=run.pk)
    assert [str(m) for m in again.context["messages"]] == [message]
    assert Booking.objects.count() == 2


def test_every_bad_row_is_listed_and_nothing_can_be_imported(
    coordinator: Person, alex: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(coordinator)
    checked = upload(
        client,
        csv_file([row(resource="nobody@example.com"), row(hours="lots"), row(firmness="maybe")]),
    )
    check = Job.objects.get()
    assert check.result is not None
    assert [(p["row"], p["title"]) for p in check.result["problems"]] == [
        (2, "Resource"),
        (3, "Hours"),
        (4, "Firmness"),
    ]
    assert check.result["problems"][0]["reason"] == imports.ERR_UNKNOWN_RESOURCE.format(
        value="nobody@example.com"
    )
    assert check.result["summary"] == imports.ERR_SUMMARY_DRY.format(count=3)
    shown = client.get(checked["Location"]).content.decode()
    assert 'id="import-problems"' in shown
    assert 'id="import-confirm"' not in shown
    with unchanged():
        refused = client.post(f"{PAGE}{check.pk}/confirm/", follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        jobs.ERR_CHECK_FAILED.format(name="plan.csv", count=3)
    ]
    assert Booking.objects.count() == 0


def test_rows_over_capacity_are_refused_unless_overridden_and_then_listed(
    coordinator: Person, alex: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(coordinator)
    too_much = csv_file([row(start="2026-12-07", end="2026-12-07", hours="20")])
    upload(client, too_much)
    refused = Job.objects.get()
    assert refused.result is not None
    assert [(p["row"], p["column"]) for p in refused.result["problems"]] == [(2, "hours")]

    upload(client, too_much, override_capacity="on")
    check = Job.objects.exclude(pk=refused.pk).get()
    assert check.result is not None
    assert (check.params["override_capacity"], check.result["bad_rows"]) == (True, 0)
    assert [(p["row"], p["column"]) for p in check.result["over_capacity"]] == [(2, "hours")]
    client.post(f"{PAGE}{check.pk}/confirm/")
    assert list(Booking.objects.values_list("hours", flat=True)) == [Decimal("20.00")]


def test_a_pse_downloads_but_may_not_import(
    alex: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(alex)
    page = client.get(PAGE).content.decode()
    assert 'id="sheet-download"' in page
    assert 'id="import-file"' not in page
    with unchanged():
        response = upload(client, csv_file([row()]))
    assert response.status_code == 403
    assert refusal_page(imports.ERR_MAY_NOT_IMPORT) in response.content.decode()
    assert Job.objects.count() == 0


def test_no_file_or_an_empty_one_is_refused_on_the_page(
    coordinator: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(coordinator)
    for sent in ({}, {"file": SimpleUploadedFile("empty.csv", b"")}):
        with unchanged():
            response = client.post(PAGE, sent)
        assert response.status_code == 422
        assert f"{capfirst(services.ERR_NO_SHEET)}." in response.content.decode()
    assert Job.objects.count() == 0


def test_the_download_holds_the_bookings_of_the_dates_in_the_import_format(
    coordinator: Person, alex: Person, client_for: Callable[[Person], Client], rollout: Any
) -> None:
    client = client_for(coordinator)
    upload(client, csv_file([row(), row(start="2027-01-11", end="2027-01-12", hours="8")]))
    client.post(f"{PAGE}{Job.objects.get().pk}/confirm/")
    assert Booking.objects.count() == 2

    response = client.get(PAGE, {"start": "2026-12-01", "end": "2026-12-31", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="schedule-2026-11-25.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == [sheets.TITLES[c] for c in sheets.COLUMNS]
    assert values[1:] == [
        [
            "alex@example.com",
            "Acme — Rollout",
            None,
            dt.datetime(2026, 12, 7),  # noqa: DTZ001 - a date cell, as openpyxl reads it
            dt.datetime(2026, 12, 9),  # noqa: DTZ001
            12,
            "confirmed",
        ]
    ]
    as_csv = client.get(PAGE, {"format": "csv"})
    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_csv.content.decode("utf-8-sig").splitlines()[1:] == [
        "alex@example.com,Acme — Rollout,,2026-12-07,2026-12-09,12.00,confirmed",
        "alex@example.com,Acme — Rollout,,2027-01-11,2027-01-12,8.00,confirmed",
    ]


def test_a_reversed_range_is_refused_with_the_reason(
    alex: Person, client_for: Callable[[Person], Client]
) -> None:
    response = client_for(alex).get(
        PAGE, {"start": "2026-12-31", "end": "2026-12-01", "format": "xlsx"}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert capfirst(forms.ERR_END_BEFORE_START) in response.content.decode()
