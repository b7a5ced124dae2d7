"""HTML for the caseload table's rows, built in Python with format_html (every value escaped).

The caseload is the page a clinician opens most; a template loop over ~35 rows of ten cells
cost more than all of its SQL, so the rows are assembled here instead.
"""

from __future__ import annotations

from html import escape as _e
from uuid import UUID

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _time(value, fmt: str, empty: str) -> str:
    if value is None:
        return f'<span class="muted">{empty}</span>'
    local = timezone.localtime(value)
    return f'<time datetime="{local.isoformat()}">{local.strftime(fmt)}</time>'


def _spark(spark: dict) -> str:
    if not spark["points"]:
        return '<span class="muted">No ratings</span>'
    return (
        f'<svg class="spark" viewBox="0 0 {spark["width"]} {spark["height"]}" '
        f'width="{spark["width"]}" height="{spark["height"]}" role="img" '
        f'aria-label="Composite of the last rated sessions: {_e(spark["label"])}">'
        f'<polyline points="{_e(spark["points"])}"/></svg>'
    )


def _trend(trend) -> str:
    if trend.direction == "none":
        return '<span class="muted">–</span><span class="visually-hidden">no trend yet</span>'
    css = {"up": "trend trend-up", "down": "trend trend-down"}.get(
        trend.direction, "trend"
    )
    return (
        f'<span class="{css}" aria-hidden="true">{_ARROWS[trend.direction]}</span> '
        f"{round(trend.change, 1) + 0.0:+.1f}"
        f'<span class="visually-hidden"> trend {trend.direction}</span>'
    )


def caseload_rows(rows: list[dict]) -> SafeString:
    """The <tbody> content of the caseload table.

    Plain f-strings: text from the database (names, labels) goes through html.escape; every
    other value is a number, a date we format, or a fixed string.
    """
    if not rows:
        return mark_safe(
            '<tr><td colspan="10" class="empty">No client matches these filters.</td></tr>'
        )
    zero = str(UUID(int=0))
    base = reverse("dashboards:trajectory", args=[zero])
    out = []
    for r in rows:
        flags = (
            " ".join(
                f'<span class="badge badge-warn">{_e(f)}</span>' for f in r["flags"]
            )
            if r["flags"]
            else '<span class="muted">None</span>'
        )
        status = (
            f' <span class="muted">({_e(r["status"].lower())})</span>'
            if r["status"] != "ACTIVE"
            else ""
        )
        oldest = (
            f' <span class="muted">(oldest {int(r["oldest_open_days"])} d)</span>'
            if r["oldest_open_days"] is not None
            else ""
        )
        late = (
            f' <span class="muted">({int(r["late"])} late)</span>' if r["late"] else ""
        )
        days = "–" if r["days_since"] is None else int(r["days_since"])
        url = base.replace(zero, str(r["code"]))
        out.append(
            f'<tr><th scope="row"><a href="{url}">{_e(r["name"])}</a>{status}</th>'
            f"<td>{_time(r['last_at'], '%b %-d', 'None')}</td>"
            f"<td>{_time(r['next_at'], '%b %-d, %H:%M', 'None booked')}</td>"
            f'<td class="num">{int(r["sessions_attended"])}</td>'
            f"<td>{_spark(r['sparkline'])}</td><td>{_trend(r['trend'])}</td>"
            f'<td class="num">{int(r["open_ruptures"])}{oldest}</td>'
            f'<td class="num">{int(r["unsigned"])}{late}</td>'
            f'<td class="num">{days}</td><td>{flags}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 - text values escaped above


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
        lines = "".join(f'<polyline points="{_e(seg)}"/>' for seg in m["segments"])
        w, h, axis, text = m["width"], m["height"], m["axis"], _e(label)
        out.append(
            f'<figure class="multiple"><svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'role="img" aria-label="{text}, weekly over 26 weeks; see the data table">'
            f'<line class="axis" x1="0" y1="{axis}" x2="{w}" y2="{axis}"/>{lines}</svg>'
            f'<figcaption>{text} <span class="muted">(max {_e(m["top"])})</span>'
            "</figcaption></figure>"
        )
    return mark_safe("".join(out))  # noqa: S308 - text values escaped above
