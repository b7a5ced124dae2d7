"""The caseload, the client page, client and goal forms, and caseload assignment by admins."""

from __future__ import annotations

import uuid
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from clients import queries, services
from clients.forms import (
    ClientCreateForm,
    ClientForm,
    GoalEditForm,
    GoalForm,
    GoalStatusForm,
    TherapistChoiceForm,
    printed_goal_fields,
)
from clients.models import CaseAssignment, Client, TreatmentGoal
from ipnb_notes import access, links, listsearch
from ipnb_notes.http import AuthedRequest, wants_partial
from ipnb_notes.sudo import require_recent_authentication, sudo_mode

STATUS_LABELS = dict(Client.Status.choices)


@require_http_methods(["GET", "POST"])
def client_list(request: AuthedRequest) -> HttpResponse:
    access.require_clinician(request.user)
    params, q = listsearch.search_params(request)  # the name is searched by POST only
    status = params.get("status", "active")
    status = status if status in queries.STATUS_FILTERS else "active"
    sort = params.get("sort", "name")
    sort = sort if sort in queries.CASELOAD_SORTS else "name"
    page = queries.caseload_list_page(
        request.user, q=q, status=status, sort=sort, number=params.get("page")
    )
    audit.read(request, "client.list_view", clients=page)
    template = "clients/client_list.html"
    if wants_partial(request):
        template += "#client-rows"
    filters = listsearch.filter_query(status=status, sort=sort)
    context = {
        "page": page,
        "q": q,
        "status": status,
        "sort": sort,
        "statuses": Client.Status.choices,
        "status_labels": STATUS_LABELS,
        "filter_query": filters,
        "search_form": "client-search",
    }
    return listsearch.push_filters_url(
        request, render(request, template, context), filters
    )


@require_GET
def client_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code)
    audit.read(request, "client.view", client=client)
    partial = wants_partial(request)
    context = queries.client_page(
        client,
        user=request.user,
        timeline_page=request.GET.get("page"),
        timeline_only=partial,
    )
    if partial:  # a timeline page link: the timeline alone
        return render(request, "clients/client_detail.html#timeline", context)
    context |= {
        "client": client,
        # The empty goal form, for those who may edit, printed from values worked out once.
        "goal_fields": printed_goal_fields() if context["can_edit"] else None,
        "status_choices": TreatmentGoal.Status.choices,
        "link": links.link,
        "day": queries.day,
    }
    return render(request, "clients/client_detail.html", context)


@require_http_methods(["GET", "POST"])
def client_create(request: AuthedRequest) -> HttpResponse:
    access.require_clinician(request.user)
    form = ClientCreateForm(
        request.POST if request.method == "POST" else None,
        initial={"idempotency_key": uuid.uuid4(), "status": Client.Status.ACTIVE},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("idempotency_key")
        client = services.client_create(
            data=data, by=request.user, idempotency_key=key, request=request
        )
        messages.success(request, f"{client.display_name} is on your caseload.")
        return redirect(client)
    status = 400 if form.errors else 200
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "client": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def client_edit(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code, for_update=True)
    form = ClientForm(
        request.POST if request.method == "POST" else None, instance=client
    )
    if request.method == "POST" and form.is_valid():
        services.client_update(
            client=client, data=form.cleaned_data, by=request.user, request=request
        )
        messages.success(request, "Client details saved.")
        return redirect(client)
    # ModelForm validation writes typed values onto the instance; show the stored name.
    client.refresh_from_db(fields=["legal_name", "preferred_name"])
    if request.method == "GET":  # the form shows the record: a read (AUD-01)
        audit.read(request, "client.edit_view", client=client)
    status = 400 if form.errors else 200
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "client": client},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def goal_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_client(request.user, code, for_update=True)
    form = GoalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.goal_create(
            client=client, **form.cleaned_data, by=request.user, request=request
        )
        messages.success(request, "Goal added.")
        return redirect(client.get_absolute_url() + "#goals")
    if request.method == "GET":  # the form names the client: a read (AUD-01)
        audit.read(request, "goal.create_view", client=client)
    status = 400 if form.errors else 200
    return render(
        request,
        "clients/goal_form.html",
        {"form": form, "client": client, "goal": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthedRequest, code: UUID) -> HttpResponse:
    goal = access.get_goal(request.user, code, for_update=True)
    form = GoalEditForm(
        request.POST if request.method == "POST" else None, instance=goal
    )
    if request.method == "POST" and form.is_valid():
        services.goal_update(
            goal=goal, data=form.cleaned_data, by=request.user, request=request
        )
        messages.success(request, "Goal saved.")
        return redirect(goal)
    goal.refresh_from_db()
    if request.method == "GET":  # the form shows the goal: a read (AUD-01)
        audit.read(request, "goal.edit_view", client=goal.client, target=goal)
    status = 400 if form.errors else 200
    return render(
        request,
        "clients/goal_form.html",
        {"form": form, "client": goal.client, "goal": goal},
        status=status,
    )


@require_POST
def goal_status(request: AuthedRequest, code: UUID) -> HttpResponse:
    goal = access.get_goal(request.user, code, for_update=True)
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        goal = services.goal_update(
            goal=goal, data=form.cleaned_data, by=request.user, request=request
        )
        messages.success(request, f"Goal marked {goal.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose one of the listed statuses.")
    return redirect(goal)


# --- Caseload assignment (practice admins: names, status and therapists only) ----------------------


@require_http_methods(["GET", "POST"])
def assign_list(request: AuthedRequest) -> HttpResponse:
    clients = access.assignable_clients(request.user)
    therapists = access.therapist_choices(request.user)
    params, q = listsearch.search_params(request)  # the name is searched by POST only
    status = params.get("status", "")
    therapist_code = params.get("therapist", "")
    therapist = None
    if therapist_code:
        try:
            therapist = therapists.filter(code=UUID(therapist_code)).first()
        except ValueError:
            therapist = None
    page = Paginator(
        queries.assignment_list(clients, q=q, therapist=therapist, status=status), 50
    ).get_page(params.get("page"))
    audit.read(request, "client.assignment_list_view", clients=page)
    template = "clients/assign_list.html"
    if wants_partial(request):
        template += "#assign-rows"
    therapist_code = str(therapist.code) if therapist else ""
    filters = listsearch.filter_query(
        therapist=therapist_code,
        status=status if status in Client.Status.values else "",
    )
    context = {
        "page": page,
        "q": q,
        "status": status,
        "therapist_code": therapist_code,
        "therapists": therapists,
        "statuses": Client.Status.choices,
        "filter_query": filters,
        "search_form": "assign-search",
    }
    return listsearch.push_filters_url(
        request, render(request, template, context), filters
    )


def _render_assign_detail(
    request, client, *, primary_form=None, co_form=None, status=200
) -> HttpResponse:
    # The client's name, status and therapists: a read (AUD-01).
    audit.read(request, "client.assignment_view", client=client)
    therapists = access.therapist_choices(request.user)
    assignments = list(
        CaseAssignment.objects.filter(client=client)
        .select_related("therapist")
        .order_by("-started_on", "-pk")
    )
    current_qs = CaseAssignment.objects.current().filter(client=client)
    current_ids = set(current_qs.values_list("pk", flat=True))
    context = {
        "client": client,
        "current": [a for a in assignments if a.pk in current_ids],
        "past": [a for a in assignments if a.pk not in current_ids],
        "primary_form": primary_form
        or TherapistChoiceForm(
            therapist_choices=therapists, label="New primary therapist"
        ),
        "co_form": co_form
        or TherapistChoiceForm(therapist_choices=therapists, label="Co-therapist"),
    }
    return render(request, "clients/assign_detail.html", context, status=status)


@sudo_mode
@require_GET
def assign_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_assignable_client(request.user, code)
    # Its forms assign therapists, who then read the record: shown only in sudo mode.
    require_recent_authentication(request)
    return _render_assign_detail(request, client)


@sudo_mode
@require_POST
def assign_primary(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_assignable_client(request.user, code)
    require_recent_authentication(request)
    form = TherapistChoiceForm(
        request.POST,
        therapist_choices=access.therapist_choices(request.user),
        label="New primary therapist",
    )
    if form.is_valid():
        therapist = form.cleaned_data["therapist"]
        try:
            services.client_assign_primary(
                client=client, therapist=therapist, by=request.user, request=request
            )
        except services.AssignmentError as exc:
            form.add_error("therapist", str(exc))
        else:
            messages.success(request, f"{therapist} is now the primary therapist.")
            return redirect("clients:assign_detail", code=client.code)
    return _render_assign_detail(request, client, primary_form=form, status=400)


@sudo_mode
@require_POST
def cotherapist_add(request: AuthedRequest, code: UUID) -> HttpResponse:
    client = access.get_assignable_client(request.user, code)
    require_recent_authentication(request)
    form = TherapistChoiceForm(
        request.POST,
        therapist_choices=access.therapist_choices(request.user),
        label="Co-therapist",
    )
    if form.is_valid():
        therapist = form.cleaned_data["therapist"]
        try:
            services.cotherapist_add(
                client=client, therapist=therapist, by=request.user, request=request
            )
        except services.AssignmentError as exc:
            form.add_error("therapist", str(exc))
        else:
            messages.success(request, f"{therapist} is now a co-therapist.")
            return redirect("clients:assign_detail", code=client.code)
    return _render_assign_detail(request, client, co_form=form, status=400)


@require_POST
def assignment_end(request: AuthedRequest, code: UUID) -> HttpResponse:
    assignment = access.get_managed_assignment(request.user, code)
    try:
        services.assignment_end(assignment=assignment, by=request.user, request=request)
    except services.AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{assignment.therapist} is no longer a co-therapist."
        )
    return redirect("clients:assign_detail", code=assignment.client.code)


@sudo_mode
@require_http_methods(["GET", "POST"])
def caseload_transfer(request: AuthedRequest, code: UUID) -> HttpResponse:
    source = access.get_managed_user(request.user, code)
    require_recent_authentication(request)  # a whole caseload changes hands
    form = TherapistChoiceForm(
        request.POST if request.method == "POST" else None,
        therapist_choices=access.therapist_choices(request.user).exclude(pk=source.pk),
        label="Move the caseload to",
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["therapist"]
        try:
            moved = services.caseload_transfer(
                from_therapist=source,
                to_therapist=target,
                by=request.user,
                request=request,
            )
        except services.AssignmentError as exc:
            form.add_error("therapist", str(exc))
        else:
            messages.success(
                request, f"{len(moved)} client(s) moved from {source} to {target}."
            )
            return redirect(f"{reverse('clients:assign_list')}?therapist={target.code}")
    primaries = (
        access.assignable_clients(request.user)
        .filter(
            assignments__therapist=source,
            assignments__role=CaseAssignment.Role.PRIMARY,
            assignments__ended_at__isnull=True,
        )
        .only("code", "legal_name", "preferred_name", "status")
        .order_by("legal_name")
    )
    audit.read(
        request, "client.caseload_transfer_view", target=source, clients=primaries
    )
    return render(
        request,
        "clients/caseload_transfer.html",
        {"source": source, "form": form, "clients": primaries},
        status=400 if form.errors else 200,
    )
