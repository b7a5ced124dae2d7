"""Render time of the dashboards' long table partials: f-strings, Django templates, Jinja2.

    IPNB_ENV=test .venv/bin/python bench/render.py [--repeat 7] [--rows 50 200 500]

No database: the rows are built in memory in the shapes dashboards/reports.py returns
(client names with quotes and ampersands, real datetimes, trends, sparklines, flags). Each
partial is rendered three ways:

- "f-string": the code that built these rows in Python until December 2026, copied here
  verbatim as the baseline (dashboards/html.py and reports.numeric_rows);
- "Django": the same markup as a Django template (the natural translation, kept here);
- "Jinja2": the partial the pages use (templates/jinja2/dashboards/), included through the
  `{% jinja %}` tag from a Django template, as the pages do, so the bridge is counted.

Reported: ms per render (the best of --repeat runs of a loop sized to ~0.2 s) and µs per
row. Every engine's output is checked to carry the same text as the baseline's.
"""

from __future__ import annotations

import argparse
import functools
import html as html_module
import os
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from html import escape as _e
from pathlib import Path
from uuid import UUID, uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")
os.environ.setdefault("IPNB_ENV", "test")

import django  # noqa: E402

django.setup()

from django.template import engines  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import format_html  # noqa: E402

from dashboards import reports  # noqa: E402
from measures import reports as measure_reports  # noqa: E402

# --- The baseline: the f-string code as it was (dashboards/html.py, reports.numeric_rows) ---
# Its calls that marked the result safe are left out: the benchmark compares strings.

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


def fstring_caseload_rows(rows: list[dict]) -> str:
    if not rows:
        return '<tr><td colspan="11" class="empty">No client matches these filters.</td></tr>'
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
        outcome = (
            "<br>".join(_e(line) for line in r["outcome"].short)
            or '<span class="muted">No paired scores</span>'
        )
        url = base.replace(zero, str(r["code"]))
        out.append(
            f'<tr><th scope="row"><a href="{url}">{_e(r["name"])}</a>{status}</th>'
            f"<td>{_time(r['last_at'], '%b %-d', 'None')}</td>"
            f"<td>{_time(r['next_at'], '%b %-d, %H:%M', 'None booked')}</td>"
            f'<td class="num">{int(r["sessions_attended"])}</td>'
            f"<td>{_spark(r['sparkline'])}</td><td>{_trend(r['trend'])}</td>"
            f'<td class="num">{int(r["open_ruptures"])}{oldest}</td>'
            f'<td class="num">{int(r["unsigned"])}{late}</td>'
            f'<td class="num">{days}</td><td>{outcome}</td><td>{flags}</td></tr>'
        )
    return "".join(out)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%b %-d, %Y %H:%M")


def fstring_rupture_rows(ruptures: list[dict]) -> str:
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
                ' class="late"' if r["open_long"] else "",
                _when(r["at"]),
                r["rupture_type"].capitalize(),
                repaired,
                timing,
            )
        )
    return "".join(out)


def fstring_small_multiples(multiples: list[tuple[str, dict]]) -> str:
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
    return "".join(out)


def fstring_numeric_rows(rows) -> str:
    return "".join(
        f'<tr><th scope="row">{_e(str(label))}</th>'
        + "".join(f'<td class="num">{_e(str(c))}</td>' for c in cells)
        + "</tr>"
        for label, cells in rows
    )


# --- The same partials as Django templates -----------------------------------------------------

DJANGO = {
    "caseload rows": """{% for r in rows %}<tr><th scope="row"><a href="{% url 'dashboards:trajectory' r.code %}">{{ r.name }}</a>{% if r.status != "ACTIVE" %} <span class="muted">({{ r.status|lower }})</span>{% endif %}</th>
<td>{% if r.last_at %}<time datetime="{{ r.last_at|date:'c' }}">{{ r.last_at|date:"M j" }}</time>{% else %}<span class="muted">None</span>{% endif %}</td>
<td>{% if r.next_at %}<time datetime="{{ r.next_at|date:'c' }}">{{ r.next_at|date:"M j, H:i" }}</time>{% else %}<span class="muted">None booked</span>{% endif %}</td>
<td class="num">{{ r.sessions_attended }}</td>
<td>{% with spark=r.sparkline %}{% if spark.points %}<svg class="spark" viewBox="0 0 {{ spark.width }} {{ spark.height }}" width="{{ spark.width }}" height="{{ spark.height }}" role="img" aria-label="Composite of the last rated sessions: {{ spark.label }}"><polyline points="{{ spark.points }}"/></svg>{% else %}<span class="muted">No ratings</span>{% endif %}{% endwith %}</td>
<td>{% with direction=r.trend.direction %}{% if direction == "none" %}<span class="muted">–</span><span class="visually-hidden">no trend yet</span>{% else %}<span class="trend{% if direction != "flat" %} trend-{{ direction }}{% endif %}" aria-hidden="true">{% if direction == "up" %}↑{% elif direction == "down" %}↓{% else %}→{% endif %}</span> {{ r.trend.change|floatformat:1 }}<span class="visually-hidden"> trend {{ direction }}</span>{% endif %}{% endwith %}</td>
<td class="num">{{ r.open_ruptures }}{% if r.oldest_open_days is not None %} <span class="muted">(oldest {{ r.oldest_open_days }} d)</span>{% endif %}</td>
<td class="num">{{ r.unsigned }}{% if r.late %} <span class="muted">({{ r.late }} late)</span>{% endif %}</td>
<td class="num">{% if r.days_since is None %}–{% else %}{{ r.days_since }}{% endif %}</td>
<td>{% for line in r.outcome.short %}{{ line }}{% if not forloop.last %}<br>{% endif %}{% empty %}<span class="muted">No paired scores</span>{% endfor %}</td>
<td>{% for flag in r.flags %}{% if not forloop.first %} {% endif %}<span class="badge badge-warn">{{ flag }}</span>{% empty %}<span class="muted">None</span>{% endfor %}</td></tr>
{% empty %}<tr><td colspan="11" class="empty">No client matches these filters.</td></tr>{% endfor %}""",
    "data table rows": """{% for row in rows %}<tr><th scope="row">{{ row.date_label }}</th>{% for cell in row.indicator_cells %}<td class="num">{{ cell }}</td>{% endfor %}</tr>
{% endfor %}""",
    "rupture rows": """{% for r in ruptures %}<tr{% if r.open_long %} class="late"{% endif %}><th scope="row">{{ r.at|date:"M j, Y H:i" }}</th><td>{{ r.rupture_type|capfirst }}</td>
{% if r.open %}<td><span class="badge {% if r.open_long %}badge-danger{% else %}badge-warn{% endif %}">Open, {{ r.age_days|floatformat:0 }} days</span></td><td>–</td></tr>
{% else %}<td>{{ r.repaired_at|date:"M j, Y H:i" }}</td><td>{% if r.same_session %}{% widthratio r.hours 1 60 %} min, same session{% elif r.sessions_later is not None %}{{ r.hours|floatformat:0 }} h, {{ r.sessions_later }} session{{ r.sessions_later|pluralize }} later{% else %}{{ r.hours|floatformat:0 }} h{% endif %}</td></tr>
{% endif %}{% endfor %}""",
    "small multiples": """{% for label, m in multiples %}<figure class="multiple"><svg viewBox="0 0 {{ m.width }} {{ m.height }}" width="{{ m.width }}" height="{{ m.height }}" role="img" aria-label="{{ label }}, weekly over 26 weeks; see the data table"><line class="axis" x1="0" y1="{{ m.axis }}" x2="{{ m.width }}" y2="{{ m.axis }}"/>{% for segment in m.segments %}<polyline points="{{ segment }}"/>{% endfor %}</svg><figcaption>{{ label }} <span class="muted">(max {{ m.top }})</span></figcaption></figure>
{% endfor %}""",
}

# The pages' Jinja2 partials, included as the pages include them.
JINJA = {
    "caseload rows": '{% load jinja %}{% jinja "dashboards/_caseload_rows.html" rows=rows %}',
    "data table rows": '{% load jinja %}{% jinja "dashboards/_numeric_rows.html" rows=rows label="date_label" cells="indicator_cells" %}',
    "rupture rows": '{% load jinja %}{% jinja "dashboards/_rupture_rows.html" ruptures=ruptures %}',
    "small multiples": '{% load jinja %}{% jinja "dashboards/_small_multiples.html" multiples=multiples %}',
}

# --- Realistic rows ------------------------------------------------------------------------------

NAMES = [
    "Ada O'Neil",
    "Bea & Co",
    "Chloé Dupont",
    'Dan "D" Lee',
    "Eve <Evans>",
    "Femi Ade",
]
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def caseload_rows(n: int, rnd: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        composites = [rnd.uniform(0.5, 3.8) for _ in range(rnd.choice([0, 3, 8, 8]))]
        trend = reports.Trend(rnd.uniform(-0.2, 0.2), len(composites))
        oldest = rnd.choice([None, None, 3, 20])
        last = NOW - timedelta(days=rnd.randint(1, 40)) if rnd.random() > 0.05 else None
        flags = []
        if trend.declining:
            flags.append("Declining trend")
        if oldest and oldest > 14:
            flags.append("Rupture open > 14 days")
        if last is None or (NOW - last).days > 21:
            flags.append("No session in 21 days")
        rows.append(
            {
                "code": uuid4(),
                "name": f"{NAMES[i % len(NAMES)]} {i}",
                "status": "ACTIVE" if rnd.random() > 0.1 else "DISCHARGED",
                "last_at": last,
                "next_at": NOW + timedelta(days=rnd.randint(1, 9), hours=3)
                if rnd.random() > 0.2
                else None,
                "sessions_attended": rnd.randint(0, 120),
                "sparkline": reports.sparkline(composites),
                "trend": trend,
                "open_ruptures": 1 if oldest else 0,
                "oldest_open_days": oldest,
                "unsigned": rnd.choice([0, 0, 1, 2]),
                "late": rnd.choice([0, 0, 0, 1]),
                "days_since": (NOW - last).days if last else None,
                "outcome": measure_reports.outcome(
                    [
                        {
                            "instrument": code,
                            "first_total": rnd.randint(5, 24),
                            "last_total": rnd.randint(0, 24),
                            "scored": 2,
                        }
                        for code in ("PHQ9", "GAD7")
                        if rnd.random() < 0.5
                    ]
                ),
                "flags": flags,
            }
        )
    # As the caseload page shapes its rows: dates and trend formatted once, the cells after
    # the name printed by dashboards.views.caseload_cells (kept: once the same figures come
    # again, the Jinja2 rendering prints only the names and reads the rest back).
    from dashboards.views import caseload_cells

    rows = [reports.caseload_labels(row) for row in rows]
    for row in rows:
        row["cells"] = caseload_cells(row)
    return rows


def session_rows(n: int, rnd: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        local = timezone.localtime(NOW - timedelta(weeks=n - i))
        values = [rnd.choice([None, 0, 1, 2, 3, 4]) for _ in range(13)]
        rows.append(
            {
                "date_label": local.strftime("%b %-d, %Y"),
                "indicator_cells": [f"{rnd.uniform(0, 4):.2f}"]
                + ["–" if v is None else str(v) for v in values],
            }
        )
    return rows


def rupture_rows(n: int, rnd: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        at = NOW - timedelta(days=7 * (n - i), minutes=rnd.randint(0, 50))
        is_open = rnd.random() < 0.1
        later = rnd.choice([0, 0, 0, 1, 2, None])
        rows.append(
            {
                "at": at,
                "rupture_type": rnd.choice(["WITHDRAWAL", "CONFRONTATION"]),
                "open": is_open,
                "open_long": is_open and rnd.random() < 0.5,
                "age_days": (NOW - at).total_seconds() / 86400,
                "repaired_at": None if is_open else at + timedelta(minutes=25),
                "same_session": later == 0,
                "hours": rnd.uniform(0.1, 0.8) if later == 0 else rnd.uniform(150, 400),
                "sessions_later": later,
                "session_at": at,
                "repair_session_at": None
                if is_open
                else at + timedelta(days=7 * (later or 0)),
            }
        )
    # As the trajectory shapes its rows (moments formatted once).
    return [reports.rupture_labels(row) for row in rows]


def multiples(n: int, rnd: random.Random) -> list[tuple[str, dict]]:
    labels = [
        "Sessions",
        "Median documentation lag (h)",
        "Ruptures per 10 sessions",
        "Share repaired in the same session",
    ]
    return [
        (
            labels[i % 4],
            reports.sparkline_scaled(
                [rnd.choice([None, rnd.uniform(0, 9)]) for _ in range(26)]
            ),
        )
        for i in range(n)
    ]


# --- Timing --------------------------------------------------------------------------------------


def _best_ms(fn, repeat: int) -> float:
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    loops = max(1, int(0.2 / max(once, 1e-6)))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best * 1000


def _text(markup: str) -> str:
    """The text and tags of a rendering, without whitespace between tags or entity style."""
    return re.sub(r">\s+<", "><", html_module.unescape(str(markup))).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    django_engine = engines["django"]
    partials = {
        "caseload rows": ("rows", caseload_rows, fstring_caseload_rows),
        "data table rows": (
            "rows",
            session_rows,
            lambda rows: fstring_numeric_rows(
                (r["date_label"], r["indicator_cells"]) for r in rows
            ),
        ),
        "rupture rows": ("ruptures", rupture_rows, fstring_rupture_rows),
        "small multiples": ("multiples", multiples, fstring_small_multiples),
    }
    print(
        "| Partial | rows | f-string ms | Django ms | Jinja2 ms | µs/row f-string | µs/row Django | µs/row Jinja2 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (key, build, baseline) in partials.items():
        django_t = django_engine.from_string(DJANGO[name])
        jinja_t = django_engine.from_string(JINJA[name])
        for n in args.rows:
            data = build(n, random.Random(n))
            context = {key: data}
            expected = _text(baseline(data))
            got = _text(jinja_t.render(context))
            if got != expected:
                raise SystemExit(f"{name}: Jinja2 output differs from the f-string's")
            times = [
                _best_ms(functools.partial(baseline, data), args.repeat),
                _best_ms(functools.partial(django_t.render, context), args.repeat),
                _best_ms(functools.partial(jinja_t.render, context), args.repeat),
            ]
            ms = " | ".join(f"{t:.3f}" for t in times)
            per_row = " | ".join(f"{t * 1000 / n:.1f}" for t in times)
            print(f"| {name} | {n} | {ms} | {per_row} |", flush=True)


if __name__ == "__main__":
    main()
