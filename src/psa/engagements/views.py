from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from psa.engagements import selectors


@login_required
def engagement_list(request: HttpRequest) -> HttpResponse:
    return render(request, "engagements/engagement_list.html",
                  {"engagements": selectors.engagement_list()[:100]})


@login_required
def engagement_create(request: HttpRequest) -> HttpResponse:
    return render(request, "engagements/engagement_form.html", {})


@login_required
def engagement_detail(request: HttpRequest, engagement_id: int) -> HttpResponse:
    return render(request, "engagements/engagement_detail.html",
                  {"engagement": selectors.engagement_get(engagement_id=engagement_id)})


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "engagements/customer_list.html",
                  {"customers": selectors.customer_list()})
