"""Release of records, authorizations and the client's accounting of disclosures."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from disclosures import services
from disclosures.forms import AuthorizationForm, ProcessNoteReleaseForm, ReleaseForm
from disclosures.models import Authorization, Purpose, accounting_since
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest, add_content_digest
from ipnb_notes.sudo import require_recent_authentication, sudo_mode


def _pdf_response(release: services.Release) -> HttpResponse:
    """The released document, as an attachment nobody caches, with its SHA-256 digest in a
    header (and RFC 9530's Repr-Digest) so the recipient can check it arrived unaltered."""
    response = HttpResponse(release.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{release.filename}"'
    response["Cache-Control"] = "no-store, private"
    # The same digest the Disclosure row keeps (services computed it from these bytes).
    return add_content_digest(response, release.content)


@require_GET
def report(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code)
    can_edit = access.can_edit_client(request.user, client)
    disclosures = access.visible_disclosures(request.user, client)
    page = Paginator(disclosures, 50).get_page(request.GET.get("page"))
    authorizations = Authorization.objects.filter(client=client).select_related(
        "recorded_by", "revoked_by"
    )
    # The user's own psychotherapy notes of this client: theirs alone to release.
    process_notes = (
        access.own_process_notes(request.user)
        .filter(session__client=client)
        .select_related("session")
        .order_by("-session__starts_at")[:50]
        if can_edit
        else []
    )
    audit.read(
        request,
        "disclosure.report_view",
        client=client,
        changes={"disclosures": [str(d.code) for d in page]},
    )
    return render(
        request,
        "disclosures/report.html",
        {
            "client": client,
            "can_edit": can_edit,
            "page": page,
            "since": accounting_since(),
            "authorizations": authorizations,
            "process_notes": process_notes,
        },
    )


@sudo_mode
@sensitive_post_parameters("recipient", "description")
@require_http_methods(["GET", "POST"])
def release(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code, for_update=True)
    require_recent_authentication(request)  # records leave the practice: sudo mode
    form = ReleaseForm(
        request.POST if request.method == "POST" else None,
        authorizations=Authorization.objects.current().filter(client=client),
    )
    if request.method == "POST" and form.is_valid():
        done = services.record_release(
            client=client, by=request.user, data=form.cleaned_data, request=request
        )
        return _pdf_response(done)
    if request.method == "GET":  # the form names the client: a read (AUD-01)
        audit.read(request, "disclosure.release_view", client=client)
    return render(
        request,
        "disclosures/release_form.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )


@sensitive_post_parameters("recipient")
@require_http_methods(["GET", "POST"])
def authorization_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code, for_update=True)
    form = AuthorizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.authorization_record(
            client=client, by=request.user, data=form.cleaned_data, request=request
        )
        messages.success(request, "Authorization recorded.")
        return redirect("disclosures:report", code=client.code)
    if request.method == "GET":
        audit.read(request, "authorization.create_view", client=client)
    return render(
        request,
        "disclosures/authorization_form.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def authorization_revoke(request: AuthedRequest, code: UUID) -> HttpResponse:
    authorization = access.get_authorization(request.user, code, for_update=True)
    services.authorization_revoke(
        authorization=authorization, by=request.user, request=request
    )
    messages.success(request, "Authorization revoked: it no longer allows any release.")
    return redirect(authorization)


@sudo_mode
@sensitive_post_parameters("description")
@require_http_methods(["GET", "POST"])
def process_note_release(request: AuthedRequest, code: UUID) -> HttpResponse:
    pnote = access.get_process_note_for_disclosure(request.user, code)
    require_recent_authentication(request)
    client = pnote.session.client
    form = ProcessNoteReleaseForm(request.POST if request.method == "POST" else None)
    status = 200
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            done = services.process_note_release(
                pnote=pnote,
                by=request.user,
                purpose=form.cleaned_data["purpose"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except services.AuthorizationRequired:
            status, refused = 403, Purpose(form.cleaned_data["purpose"]).label
        else:
            return _pdf_response(done)
    elif form.errors:
        status = 400
    if request.method == "GET":
        audit.read(request, "disclosure.release_view", client=client, target=pnote)
    return render(
        request,
        "disclosures/process_note_release.html",
        {
            "client": client,
            "pnote": pnote,
            "form": form,
            "refused": refused,
            "authorizations": services.psychotherapy_authorizations(client),
        },
        status=status,
    )
