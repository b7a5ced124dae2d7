from __future__ import annotations

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    # django.contrib.sessions owns the label "sessions".
    name = "sessions"
    label = "therapy_sessions"
    verbose_name = "Therapy sessions"
