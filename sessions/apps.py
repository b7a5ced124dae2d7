from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class SessionsConfig(AppConfig):
    # django.contrib.sessions owns the label "sessions".
    name = "sessions"
    label = "therapy_sessions"
    verbose_name = "Therapy sessions"

    def ready(self) -> None:
        checks.register(check_registries)


def check_registries(app_configs=None, **kwargs):
    """`manage.py check` fails when an event kind or a note format is incomplete."""
    from sessions.capture import kinds
    from sessions.notes import formats as note_formats

    return [
        checks.Error(problem, id="therapy_sessions.E001")
        for problem in kinds.problems() + note_formats.problems()
    ]
