from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from psa.core.api import actor
from psa.core.roles import Role
from psa.core.views import page
from psa.home.selectors import dashboard_for


@page
def home(request: HttpRequest) -> HttpResponse:
    context = dashboard_for(actor=actor(request))
    labels = dict(Role.choices)
    context["roles"] = [labels.get(r, r) for r in context.get("roles", [])]
    return render(request, "home/home.html", context)
