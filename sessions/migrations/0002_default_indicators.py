"""The default indicator set (DOMAIN.md section 2). All clinician-rated, non-standardised."""

from django.db import migrations

FACES = [
    ("flexible", "Flexible"),
    ("adaptive", "Adaptive"),
    ("coherent", "Coherent"),
    ("energized", "Energized"),
    ("stable", "Stable"),
]
IMPLICIT = [
    ("fewer-triggers", "Fewer emotional triggers"),
    ("better-boundaries", "Better boundaries"),
    ("clarity-confidence", "Greater clarity and confidence"),
    ("sense-of-self", "Stronger sense of self"),
    ("healthier-relationships", "Healthier relationships"),
]
TRIANGLE = [
    ("triangle-mind", "Mind"),
    ("triangle-brain-body", "Brain / body"),
    ("triangle-relationships", "Relationships"),
]


def add_defaults(apps, schema_editor):
    Indicator = apps.get_model("therapy_sessions", "IntegrationIndicator")
    order = 0
    rows = []
    for group, items in (
        ("FACES", FACES),
        ("IMPLICIT_MEMORY", IMPLICIT),
        ("TRIANGLE", TRIANGLE),
    ):
        for code, label in items:
            order += 10
            rows.append(
                Indicator(code=code, group=group, label=label, sort_order=order)
            )
    order += 10
    rows.append(
        Indicator(
            code="river-position",
            group="RIVER",
            label="Position on the river of integration",
            description="-3 strongly rigid, 0 in the harmonious flow, +3 strongly chaotic",
            scale_min=-3,
            scale_max=3,
            min_label="rigidity",
            max_label="chaos",
            in_composite=False,
            sort_order=order,
        )
    )
    for row in rows:
        Indicator.objects.get_or_create(
            code=row.code,
            defaults={
                f.name: getattr(row, f.name)
                for f in Indicator._meta.fields
                if f.name not in ("id", "code")
            },
        )


def remove_defaults(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("therapy_sessions", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
