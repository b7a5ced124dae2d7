from __future__ import annotations

from django.urls import include, path

from accounts import reminder_views
from accounts import views as account_views
from audit import views as audit_views
from ipnb_notes import views
from measures import urls as measures_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("sources/", views.sources, name="sources"),
    # allauth's email page, in sudo mode before its form is shown (accounts.views.email).
    path("accounts/email/", account_views.email, name="account_email"),
    # The clinician's own reminders (the daily email digest), beside allauth's pages.
    path("accounts/reminders/", reminder_views.reminders, name="account_reminders"),
    path("accounts/", include("allauth.urls")),
    path(
        "invitation/<str:token>/",
        account_views.accept_invitation,
        name="accept_invitation",
    ),
    path("practice/", include("accounts.urls")),
    path("practice/audit/", include("audit.urls")),
    path("csp-report/", audit_views.csp_report, name="csp_report"),
    # The clinical pages live under clients/, the admin assignment pages under practice/.
    path("", include("clients.urls")),
    path("", include("sessions.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("", include("disclosures.urls")),
    path("", include("measures.urls")),
    # The client's questionnaire link: no login, token moved out of the URL at once.
    *measures_urls.public_urlpatterns,
]
