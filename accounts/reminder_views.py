"""The clinician's own account page: the daily email digest, on or off."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import digest
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest


@require_http_methods(["GET", "POST"])
def reminders(request: AuthedRequest) -> HttpResponse:
    """The signed-in clinician's reminders (no client data: their own preference)."""
    access.require_clinician(request.user)
    form = digest.DigestPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"digest_email": request.user.digest_email},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            enabled = form.cleaned_data["digest_email"]
            digest.set_preference(user=request.user, enabled=enabled, request=request)
            messages.success(
                request,
                "Saved. You will get the daily digest."
                if enabled
                else "Saved. You will get no daily digest.",
            )
            return redirect("account_reminders")
        status = 400
    return render(
        request,
        "account/reminders.html",
        {
            "form": form,
            "send_time": digest.send_time(),
            "time_zone": settings.TIME_ZONE,
        },
        status=status,
    )
