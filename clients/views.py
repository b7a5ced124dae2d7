from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ipnb_notes import access
from ipnb_notes.http import AuthedRequest


@require_GET
def client_list(request: AuthedRequest) -> HttpResponse:
    access.require_clinician(request.user)
    return render(
        request,
        "clients/client_list.html",
        {"clients": access.visible_clients(request.user)},
    )
