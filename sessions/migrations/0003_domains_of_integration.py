"""The domains of integration (DOMAIN.md 2.3, The Developing Mind, 2nd ed.), seeded as an
optional group: retired until a practice admin reinstates the ones the practice rates."""

from django.db import migrations
from django.utils import timezone

DOMAINS = [
    ("domain-consciousness", "Integration of consciousness"),
    ("domain-bilateral", "Bilateral integration"),
    ("domain-vertical", "Vertical integration"),
    ("domain-memory", "Memory integration"),
    ("domain-narrative", "Narrative integration"),
    ("domain-state", "State integration"),
    ("domain-interpersonal", "Interpersonal integration"),
    ("domain-temporal", "Temporal integration"),
    ("domain-transpirational", "Transpirational integration"),
]


def add_domains(apps, schema_editor):
    Indicator = apps.get_model("therapy_sessions", "IntegrationIndicator")
    now = timezone.now()
    for n, (code, label) in enumerate(DOMAINS):
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "group": "DOMAINS",
                "label": label,
                "description": "Optional domain (Siegel): differentiated and linked, or blocked by chaos or rigidity.",
                "min_label": "blocked",
                "max_label": "well integrated",
                "sort_order": 200 + n * 10,
                "retired_at": now,
            },
        )


def remove_domains(apps, schema_editor):
    Indicator = apps.get_model("therapy_sessions", "IntegrationIndicator")
    Indicator.objects.filter(
        code__in=[code for code, _ in DOMAINS], ratings__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("therapy_sessions", "0002_default_indicators")]
    operations = [migrations.RunPython(add_domains, remove_domains)]
