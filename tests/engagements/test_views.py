"""Engagement and customer pages: lists, detail (milestones, status, comments), forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Role
from psa.core.schemas import ERR_TEXT_CHARACTER, codepoint
from psa.engagements import forms, rules, selectors, services
from psa.engagements.models import Comment, Customer, Engagement, Kind, Milestone, Status
from psa.people import selectors as people_selectors
from psa.people.models import Person
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import (
    MARKED_FIELDS,
    NOT_A_LISTED_CHOICE,
    NOT_A_NUMBER,
    NUL_NOT_ALLOWED,
    REQUIRED,
    field_error,
    form_error,
    inline_error,
    no_management_form,
    not_a_choice,
    refusal_page,
    too_many_digits,
    unchanged,
)

MakePerson = Callable[..., Person]
ClientFor = Callable[[Person], Client]


def htmx(client: Client, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data, headers={"HX-Request": "true"})


@pytest.fixture
def pc(make_person: MakePerson) -> Person:
    return make_person(Role.PROJECT_COORDINATOR, name="Priya Coordinator")


@pytest.fixture
def pse(make_person: MakePerson) -> Person:
    return make_person(Role.PSE, name="Pat Engineer")


def custom_sow(**fields: Any) -> Engagement:
    """A custom SOW with the default four milestones, through the service."""
    customer = CustomerFactory.create()
    data = services.EngagementInput(
        customer_id=customer.pk,
        name=fields.pop("name", "Migration"),
        kind=Kind.CUSTOM_SOW,
        contract_value=Decimal("80000"),
        budget_hours=Decimal("400"),
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2027, 2, 26),
        **fields,
    )
    return services.engagement_create(actor=SYSTEM, data=data)


def form_data(customer: Customer, **overrides: str) -> dict[str, str]:
    data = {
        "customer_id": str(customer.pk),
        "name": "Kubernetes rollout",
        "kind": "custom_sow",
        "sow_reference": "SOW-1",
        "currency": "USD",
        "contract_value": "52000.00",
        "budget_hours": "300",
        "bill_rate": "",
        "start_date": "2027-01-04",
        "end_date": "2027-03-26",
        "probability": "60",
        "project_issue_url": "https://gitlab.example.com/ps/x/-/issues/1",
        "crm_opportunity_id": "006123",
        "owner_id": "",
        "ms-TOTAL_FORMS": "4",
        "ms-INITIAL_FORMS": "4",
        "ms-MIN_NUM_FORMS": "0",
        "ms-MAX_NUM_FORMS": "50",
    }
    for i, (name, weight) in enumerate(
        [("Design", "40"), ("Build", "30"), ("Handover", "30"), ("", "")]
    ):
        data[f"ms-{i}-name"] = name
        data[f"ms-{i}-weight"] = weight
    data.update(overrides)
    return data


def milestones_error(*messages: str) -> str:
    """The milestone editor's list of errors about the milestones as a whole."""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<ul class="errorlist" id="milestones-error" role="alert">{items}</ul>'


# ------------------------------------------------------------------ sign-in and lists


@pytest.mark.parametrize(
    "path",
    [
        "/engagements/",
        "/engagements/1/",
        "/engagements/new/",
        "/engagements/1/edit/",
        "/customers/",
        "/customers/1/",
    ],
)
def test_anonymous_is_sent_to_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_list_shows_engagements_with_their_columns(pse: Person, client_for: ClientFor) -> None:
    EngagementFactory.create(
        name="Rapid Results",
        customer__name="Globex",
        status=Status.ACTIVE,
        contract_value=Decimal("24000.00"),
        owner=pse,
        probability=80,
    )

    response = client_for(pse).get("/engagements/")

    assert response.status_code == 200
    html = response.content.decode()
    assert ">Rapid Results</a>" in html
    assert ">Globex</a>" in html
    assert "badge s-active" in html
    assert "24,000.00 USD" in html
    assert "80 %" in html
    assert ">Pat Engineer</a>" in html
    assert 'href="/engagements/new/"' not in html  # a PSE may not create engagements


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("search=rapid", "Rapid", "Assessment"),
        ("search=globex", "Rapid", "Assessment"),
        ("status=booked", "Assessment", "Rapid"),
        ("kind=custom_sow", "Assessment", "Rapid"),
        ("customer_id={globex}", "Rapid", "Assessment"),
    ],
)
def test_list_filters(
    pc: Person, query: str, shown: str, hidden: str, client_for: ClientFor
) -> None:
    globex = CustomerFactory.create(name="Globex")
    EngagementFactory.create(name="Rapid", customer=globex, status=Status.ACTIVE)
    EngagementFactory.create(name="Assessment", kind=Kind.CUSTOM_SOW, status=Status.BOOKED)

    html = client_for(pc).get(f"/engagements/?{query.format(globex=globex.pk)}").content.decode()

    assert f">{shown}</a>" in html
    assert f">{hidden}</a>" not in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("customer_id=abc", inline_error("id_customer_id", NOT_A_LISTED_CHOICE)),
        ("customer_id=99999999999999999999", inline_error("id_customer_id", NOT_A_LISTED_CHOICE)),
        ("status=lost&page=-1", inline_error("id_status", not_a_choice("lost"))),
        ("kind=x&page=99", inline_error("id_kind", not_a_choice("x"))),
    ],
)
def test_list_with_bad_filters_shows_the_error_not_a_crash(
    pc: Person, query: str, error: str, client_for: ClientFor
) -> None:
    EngagementFactory.create(name="Rapid")
    response = client_for(pc).get(f"/engagements/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert html.count('role="alert"') == 1


def test_list_pages_by_fifty(pc: Person, client_for: ClientFor) -> None:
    customer = CustomerFactory.create()
    for i in range(51):
        EngagementFactory.create(
            name=f"E{i:02d}",
            customer=customer,
            start_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
        )

    first = client_for(pc).get("/engagements/").content.decode()
    second = client_for(pc).get("/engagements/?page=2").content.decode()

    assert "Page 1 of 2" in first
    assert ">E50</a>" in first
    assert ">E00</a>" not in first
    assert ">E00</a>" in second
    assert ">E50</a>" not in second


# ------------------------------------------------------------------ detail


def test_detail_shows_fields_progress_milestones_comments_and_history(
    pc: Person, client_for: ClientFor
) -> None:
    engagement = custom_sow(
        name="Jenkins migration", sow_reference="SOW-77", bill_rate=Decimal("0")
    )
    first = engagement.milestones.order_by("position").first()
    assert first is not None
    services.milestone_set_reached(actor=SYSTEM, milestone=first, reached_on=dt.date(2026, 12, 9))
    services.comment_add(actor=SYSTEM, engagement=engagement, body="Kick-off on Monday")

    response = client_for(pc).get(f"/engagements/{engagement.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Jenkins migration" in html
    assert "SOW-77" in html
    assert "80,000.00 USD" in html
    assert "400.00 h" in html
    assert "Custom SOW" in html
    assert '<progress id="pct" max="100" value="25.00">' in html
    assert "<strong>25 %</strong>" in html
    assert html.count("% complete</td>") == 4
    assert "✓ 9 Dec 2026" in html
    assert "Kick-off on Monday" in html
    assert "engagement.create" in html  # history inline
    # The whole log is for the roles that audit: a coordinator gets no link to it.
    assert "/audit/" not in html
    # Pipeline → booked or cancelled, nothing else.
    assert 'name="status" value="booked"' in html
    assert 'name="status" value="cancelled"' in html
    assert 'value="complete"' not in html
    assert 'value="active"' not in html


def test_detail_for_a_pse_has_no_editing_controls(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    html = client_for(pse).get(f"/engagements/{engagement.pk}/").content.decode()
    assert "Mark reached" not in html
    assert 'name="status"' not in html
    assert f'href="/engagements/{engagement.pk}/edit/"' not in html
    assert "Add comment" in html  # every team member may comment


def test_unknown_engagement_is_a_404_page(pc: Person, client_for: ClientFor) -> None:
    response = client_for(pc).get("/engagements/424242/")
    assert response.status_code == 404
    assert refusal_page(selectors.ERR_NO_ENGAGEMENT.format(id=424242)) in response.content.decode()


# ------------------------------------------------------------------ create


def test_create_form_starts_with_four_milestones_of_25(pc: Person, client_for: ClientFor) -> None:
    customer = CustomerFactory.create()
    response = client_for(pc).get(f"/engagements/new/?customer_id={customer.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="weight" name="ms-') == 4
    assert html.count('value="25"') == 4
    assert f'<option value="{customer.pk}" selected>' in html
    for label in (
        'for="id_customer_id"',
        'for="id_contract_value"',
        'for="id_ms-0-name"',
        'for="id_ms-0-weight"',
        'for="id_owner_id"',
    ):
        assert label in html


def test_create_custom_sow_with_three_milestones(pc: Person, client_for: ClientFor) -> None:
    customer = CustomerFactory.create()

    response = client_for(pc).post("/engagements/new/", form_data(customer, owner_id=str(pc.pk)))

    engagement = Engagement.objects.get(name="Kubernetes rollout")
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/"
    assert engagement.kind == Kind.CUSTOM_SOW
    assert engagement.status == Status.PIPELINE
    assert engagement.contract_value == Decimal("52000.00")
    assert engagement.probability == 60
    assert engagement.owner_id == pc.pk
    assert [(m.name, m.weight) for m in engagement.milestones.order_by("position")] == [
        ("Design", Decimal("40.00")),
        ("Build", Decimal("30.00")),
        ("Handover", Decimal("30.00")),
    ]


def test_create_packaged_ignores_the_milestone_rows(pc: Person, client_for: ClientFor) -> None:
    customer = CustomerFactory.create()
    response = client_for(pc).post("/engagements/new/", form_data(customer, kind="packaged"))
    assert response.status_code == 302
    assert not Engagement.objects.get(name="Kubernetes rollout").milestones.exists()


def test_sales_may_create_an_engagement(make_person: MakePerson, client_for: ClientFor) -> None:
    sales = make_person(Role.SALES)
    customer = CustomerFactory.create()
    response = client_for(sales).post("/engagements/new/", form_data(customer))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"ms-2-weight": "20"}, milestones_error(rules.ERR_MILESTONE_SUM.format(total="90"))),
        (
            {"ms-0-weight": "-40", "ms-1-weight": "70"},
            milestones_error(rules.ERR_MILESTONE_WEIGHT),
        ),
        (
            {"ms-3-weight": "0.5", "ms-2-weight": "29.5"},
            milestones_error(rules.ERR_MILESTONE_NAME),
        ),
        ({"ms-0-weight": ""}, inline_error("id_ms-0-weight", forms.ERR_NO_WEIGHT)),
        ({"ms-0-weight": "forty"}, inline_error("id_ms-0-weight", NOT_A_NUMBER)),
        ({"end_date": "2026-12-01"}, field_error("id_end_date", services.ERR_END_BEFORE_START)),
        ({"contract_value": "-1"}, field_error("id_contract_value", services.ERR_AMOUNT)),
        (
            {"kind": "embedded_engineer", "bill_rate": "-150"},
            field_error("id_bill_rate", services.ERR_AMOUNT),
        ),
        ({"kind": "embedded_engineer"}, field_error("id_bill_rate", services.ERR_BILL_RATE)),
        ({"probability": "150"}, field_error("id_probability", services.ERR_PROBABILITY)),
        (
            {"project_issue_url": "javascript:alert(1)"},
            field_error("id_project_issue_url", services.ERR_URL),
        ),
        ({"contract_value": "1e400"}, field_error("id_contract_value", too_many_digits(14))),
        ({"contract_value": "NaN"}, field_error("id_contract_value", NOT_A_NUMBER)),
        ({"customer_id": "987654"}, field_error("id_customer_id", NOT_A_LISTED_CHOICE)),
        ({"kind": "retainer"}, field_error("id_kind", not_a_choice("retainer"))),
        ({"name": ""}, field_error("id_name", REQUIRED)),
        ({"ms-TOTAL_FORMS": "x"}, milestones_error(no_management_form("ms-TOTAL_FORMS"))),
    ],
)
def test_bad_input_re_renders_with_the_error_and_creates_nothing(
    pc: Person, overrides: dict[str, str], error: str, client_for: ClientFor
) -> None:
    customer = CustomerFactory.create()
    client = client_for(pc)

    with unchanged():
        response = client.post("/engagements/new/", form_data(customer, **overrides))

    assert response.status_code == 422
    html = response.content.decode()
    assert error in html
    assert 'value="Kubernetes rollout"' in html or "name" in overrides  # the typed is kept


def test_one_submission_shows_form_and_milestone_errors_together(
    pc: Person, client_for: ClientFor
) -> None:
    customer = CustomerFactory.create()
    client = client_for(pc)

    with unchanged():
        response = client.post(
            "/engagements/new/", form_data(customer, customer_id="", **{"ms-2-weight": "20"})
        )

    assert response.status_code == 422
    html = response.content.decode()
    assert field_error("id_customer_id", REQUIRED) in html
    assert milestones_error(rules.ERR_MILESTONE_SUM.format(total="90")) in html


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(
    pc: Person, client_for: ClientFor
) -> None:
    customer = CustomerFactory.create()
    data = form_data(customer, add_milestone_row="1", name="Half typed")
    client = client_for(pc)

    with unchanged():
        response = client.post("/engagements/new/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="weight" name="ms-') == 5
    assert 'value="Design"' in html
    assert 'value="Half typed"' in html
    assert 'id="id_ms-4-name" value="" maxlength="200" autofocus' in html


@pytest.mark.parametrize("roles", [(Role.PSE,), (Role.CONTROLLER,), ()])
def test_others_may_not_create(
    make_person: MakePerson, roles: tuple[str, ...], client_for: ClientFor
) -> None:
    me = make_person(*roles)
    customer = CustomerFactory.create()
    client = client_for(me)

    form = client.get("/engagements/new/")
    with unchanged():
        response = client.post("/engagements/new/", form_data(customer))

    for refused in (form, response):
        assert refused.status_code == 403
        assert refusal_page(services.ERR_MAY_NOT_EDIT) in refused.content.decode()


# ------------------------------------------------------------------ edit


def edit_data(engagement: Engagement, **overrides: str) -> dict[str, str]:
    data = {
        "customer_id": str(engagement.customer_id),
        "name": engagement.name,
        "kind": engagement.kind,
        "sow_reference": engagement.sow_reference,
        "currency": engagement.currency,
        "contract_value": str(engagement.contract_value),
        "budget_hours": str(engagement.budget_hours),
        "start_date": engagement.start_date.isoformat() if engagement.start_date else "",
        "end_date": engagement.end_date.isoformat() if engagement.end_date else "",
        "probability": str(engagement.probability),
        "project_issue_url": engagement.project_issue_url,
        "crm_opportunity_id": engagement.crm_opportunity_id,
        "owner_id": str(engagement.owner_id or ""),
    }
    milestones = list(engagement.milestones.order_by("position"))
    data.update(
        {
            "ms-TOTAL_FORMS": str(len(milestones)),
            "ms-INITIAL_FORMS": str(len(milestones)),
            "ms-MIN_NUM_FORMS": "0",
            "ms-MAX_NUM_FORMS": "50",
        }
    )
    for i, m in enumerate(milestones):
        data[f"ms-{i}-name"] = m.name
        data[f"ms-{i}-weight"] = str(m.weight)
        if m.reached_on:
            data[f"ms-{i}-reached_on"] = m.reached_on.isoformat()
    data.update(overrides)
    return data


def test_edit_form_shows_the_current_values(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow(name="Jenkins migration")
    response = client_for(pc).get(f"/engagements/{engagement.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Jenkins migration"' in html
    assert 'value="2026-12-01"' in html
    assert html.count('value="25.00"') == 4


def test_edit_changes_the_changed_fields(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow(name="Jenkins migration")

    response = client_for(pc).post(
        f"/engagements/{engagement.pk}/edit/",
        edit_data(engagement, name="Jenkins to GitLab", probability="90"),
    )

    assert response.status_code == 302
    engagement.refresh_from_db()
    assert (engagement.name, engagement.probability) == ("Jenkins to GitLab", 90)
    entry = AuditEntry.objects.get(action="engagement.update")
    assert set(entry.after or {}) == {"name", "probability", "updated_at"}
    assert not AuditEntry.objects.filter(action="engagement.milestones").exists()


def test_edit_replaces_the_milestones(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    data = edit_data(
        engagement,
        **{
            "ms-0-name": "Design",
            "ms-0-weight": "50",
            "ms-1-name": "Build",
            "ms-1-weight": "50",
            "ms-2-name": "",
            "ms-2-weight": "",
            "ms-3-name": "",
            "ms-3-weight": "",
        },
    )

    response = client_for(pc).post(f"/engagements/{engagement.pk}/edit/", data)

    assert response.status_code == 302
    assert [(m.name, m.weight) for m in engagement.milestones.order_by("position")] == [
        ("Design", Decimal("50.00")),
        ("Build", Decimal("50.00")),
    ]
    assert not AuditEntry.objects.filter(action="engagement.update").exists()


def test_edit_with_bad_milestones_changes_nothing_at_all(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow(name="Jenkins migration")
    data = edit_data(engagement, name="Renamed", **{"ms-0-weight": "10"})
    client = client_for(pc)

    # The field change is rolled back with the milestones.
    with unchanged():
        response = client.post(f"/engagements/{engagement.pk}/edit/", data)

    assert response.status_code == 422
    html = response.content.decode()
    assert milestones_error(rules.ERR_MILESTONE_SUM.format(total="85")) in html


def test_edit_a_finished_engagement_is_a_conflict(pc: Person, client_for: ClientFor) -> None:
    engagement = EngagementFactory.create(name="Done", status=Status.COMPLETE)
    client = client_for(pc)
    with unchanged():
        response = client.post(
            f"/engagements/{engagement.pk}/edit/", edit_data(engagement, name="Reopened")
        )
    assert response.status_code == 409
    message = services.ERR_FINISHED.format(status="complete")
    assert form_error(message) in response.content.decode()


@pytest.mark.parametrize("roles", [(Role.PSE,), (Role.SALES,)])
def test_others_may_not_edit(
    make_person: MakePerson, roles: tuple[str, ...], client_for: ClientFor
) -> None:
    me = make_person(*roles)
    engagement = custom_sow(name="Jenkins migration")
    client = client_for(me)

    form = client.get(f"/engagements/{engagement.pk}/edit/")
    with unchanged():
        response = client.post(
            f"/engagements/{engagement.pk}/edit/", edit_data(engagement, name="Hacked")
        )

    for refused in (form, response):
        assert refused.status_code == 403
        assert refusal_page(services.ERR_MAY_NOT_EDIT) in refused.content.decode()


# ------------------------------------------------------------------ status, milestones, comments


def test_status_change_with_a_reason(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    response = client_for(pc).post(
        f"/engagements/{engagement.pk}/status/", {"status": "booked", "reason": "SOW signed"}
    )
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.status == Status.BOOKED
    assert AuditEntry.objects.get(action="engagement.status").reason == "SOW signed"


@pytest.mark.parametrize(("status", "code"), [("complete", 409), ("lost", 422)])
def test_a_refused_status_change_is_shown_and_changes_nothing(
    pc: Person, status: str, code: int, client_for: ClientFor
) -> None:
    engagement = custom_sow()
    client = client_for(pc)
    with unchanged():
        response = client.post(f"/engagements/{engagement.pk}/status/", {"status": status})
    assert response.status_code == code
    # The refusal is on the status field, which the page shows as buttons, not as a field: only
    # the summary says something is wrong (rules.ERR_TRANSITION's text is not on the page).
    assert form_error(MARKED_FIELDS) in response.content.decode()


def test_a_pse_may_not_change_status(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    client = client_for(pse)
    with unchanged():
        response = client.post(f"/engagements/{engagement.pk}/status/", {"status": "booked"})
    assert response.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_EDIT) in response.content.decode()


def test_mark_a_milestone_reached_and_back_with_htmx(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    milestone = engagement.milestones.order_by("position")[0]
    path = f"/engagements/milestones/{milestone.pk}/reached/"

    response = htmx(client_for(pc), path, {"reached": "1", "reached_on": "2026-12-11"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="card" aria-labelledby="h-progress" id="milestones">')
    assert "<strong>25 %</strong>" in html
    assert "✓ 11 Dec 2026" in html
    milestone.refresh_from_db()
    assert milestone.reached_on == dt.date(2026, 12, 11)

    response = htmx(client_for(pc), path, {"reached": "0"})

    assert "<strong>0 %</strong>" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.reached_on is None


def test_mark_a_milestone_reached_without_htmx_redirects(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    milestone = engagement.milestones.order_by("position")[0]
    response = client_for(pc).post(
        f"/engagements/milestones/{milestone.pk}/reached/", {"reached": "1", "reached_on": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#milestones"
    milestone.refresh_from_db()
    assert milestone.reached_on is not None


def test_a_milestone_with_a_bad_date_shows_the_error(pc: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    milestone = engagement.milestones.order_by("position")[0]
    client = client_for(pc)
    with unchanged():
        response = htmx(
            client,
            f"/engagements/milestones/{milestone.pk}/reached/",
            {"reached": "1", "reached_on": "2026-13-45"},
        )
    assert response.status_code == 422
    expected = f'<p class="error" role="alert">{escape(forms.ERR_REACHED_ON)}</p>'
    assert expected in response.content.decode()


def test_a_pse_may_not_mark_milestones(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    milestone = engagement.milestones.order_by("position")[0]
    client = client_for(pse)
    with unchanged():
        response = htmx(
            client, f"/engagements/milestones/{milestone.pk}/reached/", {"reached": "1"}
        )
    assert response.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_EDIT) in response.content.decode()


def test_add_a_comment_with_htmx(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()

    response = htmx(
        client_for(pse),
        f"/engagements/{engagement.pk}/comments/",
        {"body": "Customer asked for a <b>demo</b>"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="card" aria-labelledby="h-comments" id="comments">')
    assert "Customer asked for a &lt;b&gt;demo&lt;/b&gt;" in html
    assert Comment.objects.get().body == "Customer asked for a <b>demo</b>"


def test_an_empty_comment_is_refused(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    client = client_for(pse)
    for body in ("", "   "):
        with unchanged():
            response = htmx(client, f"/engagements/{engagement.pk}/comments/", {"body": body})
        assert response.status_code == 422
        assert field_error("id_body", REQUIRED) in response.content.decode()


def test_add_a_comment_without_htmx_redirects(pse: Person, client_for: ClientFor) -> None:
    engagement = custom_sow()
    response = client_for(pse).post(f"/engagements/{engagement.pk}/comments/", {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#comments"


# ------------------------------------------------------------------ customers


@pytest.mark.parametrize(
    "path",
    [
        "/customers/?search=a%00b",
        "/engagements/?search=a%00b",
        "/people/?search=a%00b",
        "/people/?skill=%00&country=%00",
    ],
)
def test_nul_characters_in_filters_are_no_crash(
    pc: Person, path: str, client_for: ClientFor
) -> None:
    assert client_for(pc).get(path).status_code == 200


def test_nul_characters_in_a_form_are_a_field_error(pc: Person, client_for: ClientFor) -> None:
    customer = CustomerFactory.create()
    client = client_for(pc)
    with unchanged():
        response = client.post("/engagements/new/", form_data(customer, name="a\x00b"))
    assert response.status_code == 422
    assert field_error("id_name", NUL_NOT_ALLOWED) in response.content.decode()


def test_customer_list_and_create(pc: Person, client_for: ClientFor) -> None:
    CustomerFactory.create(name="Acme")
    client = client_for(pc)
    html = client.get("/customers/").content.decode()
    assert ">Acme</a>" in html
    assert "Add a customer" in html

    response = client.post(
        "/customers/", {"customer-name": "Initech", "customer-crm_account_id": "001X"}
    )

    customer = Customer.objects.get(name="Initech")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.crm_account_id == "001X"


def test_a_duplicate_customer_is_a_field_error(pc: Person, client_for: ClientFor) -> None:
    CustomerFactory.create(name="Acme")
    client = client_for(pc)
    with unchanged():
        response = client.post("/customers/", {"customer-name": "acme"})
    assert response.status_code == 422
    html = response.content.decode()
    assert field_error("id_customer-name", services.ERR_CUSTOMER_TAKEN) in html


def test_a_pse_may_not_add_customers(pse: Person, client_for: ClientFor) -> None:
    client = client_for(pse)
    html = client.get("/customers/").content.decode()
    assert "Add a customer" not in html
    with unchanged():
        response = client.post("/customers/", {"customer-name": "Initech"})
    assert response.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_EDIT) in response.content.decode()


def test_customer_page_lists_its_engagements_and_renames(pc: Person, client_for: ClientFor) -> None:
    acme = CustomerFactory.create(name="Acme")
    EngagementFactory.create(customer=acme, name="Rollout")
    EngagementFactory.create(name="Elsewhere")
    client = client_for(pc)

    html = client.get(f"/customers/{acme.pk}/").content.decode()
    response = client.post(
        f"/customers/{acme.pk}/", {"customer-name": "Acme Corp", "customer-crm_account_id": ""}
    )

    assert ">Rollout</a>" in html
    assert ">Elsewhere</a>" not in html
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.name == "Acme Corp"


def test_unknown_customer_is_a_404(pc: Person, client_for: ClientFor) -> None:
    response = client_for(pc).get("/customers/999999/")
    assert response.status_code == 404
    assert refusal_page(selectors.ERR_NO_CUSTOMER.format(id=999999)) in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "missing"),
    [
        ("get", "/engagements/{big}/", selectors.ERR_NO_ENGAGEMENT),
        ("get", "/engagements/{big}/edit/", selectors.ERR_NO_ENGAGEMENT),
        ("get", "/customers/{big}/", selectors.ERR_NO_CUSTOMER),
        ("get", "/people/{big}/", people_selectors.ERR_NO_PERSON),
        ("post", "/engagements/{big}/status/", selectors.ERR_NO_ENGAGEMENT),
        ("post", "/engagements/milestones/{big}/reached/", selectors.ERR_NO_MILESTONE),
        ("post", "/people/time-off/{big}/delete/", people_selectors.ERR_NO_TIME_OFF),
    ],
)
def test_ids_beyond_any_integer_column_are_404_not_500(
    pc: Person, method: str, path: str, missing: str, client_for: ClientFor
) -> None:
    client = client_for(pc)
    big = 10**20
    with unchanged():
        response = getattr(client, method)(path.format(big=big), {"status": "booked"})
    assert response.status_code == 404
    assert refusal_page(missing.format(id=big)) in response.content.decode()


def test_pages_stay_small_in_queries(
    pc: Person, django_assert_max_num_queries: Any, client_for: ClientFor
) -> None:
    customer = CustomerFactory.create()
    for i in range(30):
        EngagementFactory.create(customer=customer, name=f"E{i}", owner=pc)
    engagement = custom_sow()
    client = client_for(pc)
    with django_assert_max_num_queries(12):
        client.get("/engagements/")
    with django_assert_max_num_queries(20):
        client.get(f"/engagements/{engagement.pk}/")


def test_spec_order_is_kept(pc: Person, client_for: ClientFor) -> None:
    """The milestone rows go to the service in the order shown."""
    customer = CustomerFactory.create()
    data = form_data(customer, **{"ms-0-name": "Zeta", "ms-1-name": "Alpha"})
    client_for(pc).post("/engagements/new/", data)
    names = list(Milestone.objects.order_by("position").values_list("name", flat=True))
    assert names == ["Zeta", "Alpha", "Handover"]


def test_a_comment_with_a_control_character_is_refused_like_the_api(
    pse: Person, client_for: ClientFor
) -> None:
    engagement = custom_sow()
    client = client_for(pse)
    with unchanged():
        response = htmx(client, f"/engagements/{engagement.pk}/comments/", {"body": "one\x1btwo"})
    assert response.status_code == 422
    message = ERR_TEXT_CHARACTER.format(char=codepoint("\x1b"), position=3)
    assert field_error("id_body", message) in response.content.decode()
    kept = htmx(
        client_for(pse), f"/engagements/{engagement.pk}/comments/", {"body": "one\r\n\ttwo"}
    )
    assert kept.status_code == 200
    assert Comment.objects.get().body == "one\r\n\ttwo"


def test_detail_lists_who_is_booked_from_today_on(
    pc: Person, make_person: MakePerson, client_for: ClientFor
) -> None:
    from psa.core import clock
    from psa.scheduling import services as scheduling

    engagement = EngagementFactory.create(status=Status.ACTIVE, name="Rollout")
    alex = make_person(Role.PSE, name="Alex Rivera")
    sam = make_person(Role.PSE, name="Sam Okafor")

    def book(person: Person, start: dt.date, end: dt.date, hours: str) -> None:
        asked = scheduling.request_create(
            actor=SYSTEM,
            engagement=engagement,
            person=person,
            start_date=start,
            end_date=end,
            hours=Decimal(hours),
        )
        scheduling.request_confirm(actor=SYSTEM, request=asked)

    with clock.frozen(dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)):
        book(sam, dt.date(2026, 11, 16), dt.date(2026, 11, 17), "16")  # over by the 25th
        book(alex, dt.date(2026, 12, 7), dt.date(2026, 12, 9), "12")
    with clock.frozen(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)):
        html = client_for(pc).get(f"/engagements/{engagement.pk}/").content.decode()
        empty = client_for(pc).get(f"/engagements/{EngagementFactory.create().pk}/")

    assert (
        f'<tr><td><a href="/people/{alex.pk}/">Alex Rivera</a></td>'
        '<td>Mon 7 Dec – Wed 9 Dec 2026</td><td class="num">12.00</td>'
        '<td><span class="badge k-confirmed">Confirmed</span></td></tr>'
    ) in html
    # Sam's booking ended before today (the engagement's comments still tell of it)
    table = html.split('id="booked-people"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 1
    assert "Sam Okafor" not in table
    assert "Nobody is booked on it from today on." in empty.content.decode()
