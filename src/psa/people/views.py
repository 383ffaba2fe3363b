from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from psa.people import selectors


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    return render(request, "people/person_list.html", {"people": selectors.person_list()[:100]})


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    return render(request, "people/person_detail.html",
                  {"person": selectors.person_get(person_id=person_id)})
