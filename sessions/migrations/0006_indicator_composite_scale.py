"""The composite is the mean of indicators on one declared scale (0 to 4): an indicator on
another scale leaves the composite before the constraint holds it there, and indicators the
practice added (every code not seeded by 0002 and 0003) are marked as defined by the
practice. Run `manage.py refresh_rollups` afterwards so that stored composites follow."""

from django.db import migrations, models

SEEDED = {
    "flexible", "adaptive", "coherent", "energized", "stable",
    "fewer-triggers", "better-boundaries", "clarity-confidence", "sense-of-self",
    "healthier-relationships", "triangle-mind", "triangle-brain-body",
    "triangle-relationships", "river-position",
    "domain-consciousness", "domain-bilateral", "domain-vertical", "domain-memory",
    "domain-narrative", "domain-state", "domain-interpersonal", "domain-temporal",
    "domain-transpirational",
}  # fmt: skip


def forward(apps, schema_editor):
    Indicator = apps.get_model("therapy_sessions", "IntegrationIndicator")
    Indicator.objects.filter(in_composite=True).exclude(
        scale_min=0, scale_max=4
    ).update(in_composite=False)
    Indicator.objects.exclude(code__in=SEEDED).update(instrument_status="USER_DEFINED")


class Migration(migrations.Migration):
    dependencies = [
        ("therapy_sessions", "0005_note_revisions"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="integrationindicator",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("in_composite", False),
                    models.Q(("scale_max", 4), ("scale_min", 0)),
                    _connector="OR",
                ),
                name="indicator_composite_scale",
                violation_error_message="Only indicators on the composite's scale may join it.",
            ),
        ),
    ]
