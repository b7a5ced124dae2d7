"""The trajectory's indicator checkboxes and data-table column heads are a Jinja2 partial
(templates/jinja2/dashboards/_indicator_heads.html): a practice's hostile indicator label comes
out as the characters typed, and each head's instrument-status link is the one
{% status_link %} prints elsewhere."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import engines

from ipnb_notes.templatetags.sources import status_of

MARK = "zq9x"
HOSTILE = [
    f"<script>alert('{MARK}')</script>",
    f"\"><img src=x onerror=alert('{MARK}')>",
    f"' onmouseover='alert(\"{MARK}\")' x='",
    f'</th></tr><tr><th hx-get="/{MARK}" hx-trigger="load">{MARK}',
    f"{{{{ 7 * 7 }}}}{{% raw %}}{MARK}&amp;",
]


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def _render(source: str, **context) -> str:
    return (
        engines["django"]
        .from_string("{% load jinja sources %}" + source)
        .render(context)
    )


def _indicator(label: str, code: str = "x", group: str = "PRACTICE") -> dict:
    return {
        "code": code,
        "label": label,
        "group": group,
        "instrument_status": "CLINICIAN_CONCEPTUAL",
        "scale": (0, 4),
    }


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("part", ["toggles", "heads"])
def test_a_hostile_label_stays_text(payload, part):
    indicators = [_indicator(payload, code=payload)]
    html = _render(
        '{% jinja "dashboards/_indicator_heads.html" part=part indicators=indicators'
        ' checked_group="FACES" statuses=statuses %}',
        part=part,
        indicators=indicators,
        statuses=[status_of(i) for i in indicators],
    )
    parsed = _Markup()
    parsed.feed(html)
    allowed = {"class", "type", "value", "scope", "href", "checked"}
    for tag, attrs in parsed.tags:
        assert tag in {"label", "input", "th", "span", "br", "a"}, (tag, attrs)
        assert set(attrs) <= allowed, (tag, attrs)
    assert payload in parsed.text
    assert "49" not in parsed.text
    assert len(parsed.tags) == (2 if part == "toggles" else 4)


def test_the_heads_match_the_django_tags_they_replace():
    """The same markup as the Django loop it replaced (status_link, the scale, the check)."""
    indicators = [
        _indicator("Eye contact", code="eye", group="FACES"),
        _indicator("Own", code="own", group="PRACTICE"),
    ]
    context = {
        "indicators": indicators,
        "statuses": [status_of(i) for i in indicators],
    }
    jinja = _render(
        '{% jinja "dashboards/_indicator_heads.html" part="heads" indicators=indicators'
        " statuses=statuses %}"
        '{% jinja "dashboards/_indicator_heads.html" part="toggles" indicators=indicators'
        ' checked_group="FACES" %}',
        **context,
    )
    django = _render(
        '{% for ind in indicators %}<th scope="col" class="num">{{ ind.label }}'
        ' <span class="muted">({{ ind.scale.0 }} to {{ ind.scale.1 }})</span><br>'
        "{% status_link ind %}</th>{% endfor %}"
        '{% for ind in indicators %}<label class="check"><input type="checkbox"'
        ' value="{{ ind.code }}" {% if ind.group == "FACES" %}checked{% endif %}>'
        " {{ ind.label }}</label>{% endfor %}",
        **context,
    )
    assert jinja.replace("\n", "") == django.replace("\n", "")
