"""HTML for the caseload table's rows, built in Python with format_html (every value escaped).

The caseload is the page a clinician opens most; a template loop over ~35 rows of ten cells
cost more than all of its SQL, so the rows are assembled here instead.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _time(value, fmt: str, empty: str) -> SafeString:
    if value is None:
        return format_html('<span class="muted">{}</span>', empty)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), local.strftime(fmt)
    )


def _spark(spark: dict) -> SafeString:
    if not spark["points"]:
        return format_html('<span class="muted">{}</span>', "No ratings")
    return format_html(
        '<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="Composite of the last rated sessions: {label}">'
        '<polyline points="{points}"/></svg>',
        w=spark["width"],
        h=spark["height"],
        label=spark["label"],
        points=spark["points"],
    )


def _trend(trend) -> SafeString:
    if trend.direction == "none":
        return format_html(
            '<span class="muted">–</span><span class="visually-hidden">{}</span>',
            "no trend yet",
        )
    css = {"up": "trend trend-up", "down": "trend trend-down"}.get(
        trend.direction, "trend"
    )
    return format_html(
        '<span class="{}" aria-hidden="true">{}</span> {}'
        '<span class="visually-hidden"> trend {}</span>',
        css,
        _ARROWS[trend.direction],
        f"{round(trend.change, 1) + 0.0:+.1f}",
        trend.direction,
    )


def caseload_rows(rows: list[dict]) -> SafeString:
    """The <tbody> content of the caseload table."""
    if not rows:
        return mark_safe(
            '<tr><td colspan="10" class="empty">No client matches these filters.</td></tr>'
        )
    zero = str(UUID(int=0))
    base = reverse("dashboards:trajectory", args=[zero])
    out = []
    for r in rows:
        flags = (
            format_html_join(
                " ",
                '<span class="badge badge-warn">{}</span>',
                ((f,) for f in r["flags"]),
            )
            if r["flags"]
            else mark_safe('<span class="muted">None</span>')
        )
        out.append(
            format_html(
                '<tr><th scope="row"><a href="{url}">{name}</a>{status}</th>'
                "<td>{last}</td><td>{next}</td>"
                '<td class="num">{sessions}</td><td>{spark}</td><td>{trend}</td>'
                '<td class="num">{open}{oldest}</td>'
                '<td class="num">{unsigned}{late}</td>'
                '<td class="num">{days}</td><td>{flags}</td></tr>',
                url=base.replace(zero, str(r["code"])),
                name=r["name"],
                status=format_html(
                    ' <span class="muted">({})</span>', r["status"].lower()
                )
                if r["status"] != "ACTIVE"
                else "",
                last=_time(r["last_at"], "%b %-d", "None"),
                next=_time(r["next_at"], "%b %-d, %H:%M", "None booked"),
                sessions=r["sessions_attended"],
                spark=_spark(r["sparkline"]),
                trend=_trend(r["trend"]),
                open=r["open_ruptures"],
                oldest=format_html(
                    ' <span class="muted">(oldest {} d)</span>', r["oldest_open_days"]
                )
                if r["oldest_open_days"] is not None
                else "",
                unsigned=r["unsigned"],
                late=format_html(' <span class="muted">({} late)</span>', r["late"])
                if r["late"]
                else "",
                days="–" if r["days_since"] is None else r["days_since"],
                flags=flags,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - each row is a format_html result


def _when(value) -> str:
    return timezone.localtime(value).strftime("%b %-d, %Y %H:%M")


def rupture_rows(ruptures: list[dict]) -> SafeString:
    """The <tbody> content of the trajectory's rupture table."""
    out = []
    for r in ruptures:
        if r["open"]:
            repaired = format_html(
                '<span class="badge {}">Open, {} days</span>',
                "badge-danger" if r["open_long"] else "badge-warn",
                f"{r['age_days']:.0f}",
            )
            timing = "–"
        else:
            repaired = _when(r["repaired_at"])
            if r["same_session"]:
                timing = f"{r['hours'] * 60:.0f} min, same session"
            else:
                later = r["sessions_later"]
                timing = (
                    f"{r['hours']:.0f} h, {later} session{'s' if later != 1 else ''} later"
                    if later is not None
                    else f"{r['hours']:.0f} h"
                )
        out.append(
            format_html(
                '<tr{}><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
                mark_safe(' class="late"') if r["open_long"] else "",
                _when(r["at"]),
                r["rupture_type"].capitalize(),
                repaired,
                timing,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - each row is a format_html result


def small_multiples(multiples: list[tuple[str, dict]]) -> SafeString:
    """Four inline SVG lines per supervisee; CSS draws them (no style attributes)."""
    out = []
    for label, m in multiples:
        lines = format_html_join(
            "", '<polyline points="{}"/>', ((seg,) for seg in m["segments"])
        )
        out.append(
            format_html(
                '<figure class="multiple"><svg viewBox="0 0 {w} {h}" width="{w}" '
                'height="{h}" role="img" aria-label="{label}, weekly over 26 weeks; see the '
                'data table"><line class="axis" x1="0" y1="{axis}" x2="{w}" y2="{axis}"/>'
                '{lines}</svg><figcaption>{label} <span class="muted">(max {top})</span>'
                "</figcaption></figure>",
                w=m["width"],
                h=m["height"],
                axis=m["axis"],
                label=label,
                lines=lines,
                top=m["top"],
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - each figure is a format_html result
