"""`{% jinja "dashboards/_partial.html" name=value ... %}`: a Jinja2 partial inside a page.

The partial is rendered by the "jinja2" template engine (ipnb_notes/jinja2.py, autoescape
forced on) with the named values alone, no request and no context processors, and its
output goes into the page like an {% include %}'s: the escaping happened in Jinja2.

Beside the named values, every partial may call the Sources links a Django template gets from
`{% load sources %}` (ipnb_notes/templatetags/sources.py): `source_link(anchor, text)` and
`status_link(item)` (HTML built by format_html, so Jinja2 does not escape it twice) and
`source_caveat(anchor)` (text, escaped).
"""

from __future__ import annotations

from django import template
from django.template import engines

from ipnb_notes.templatetags.sources import source_caveat, source_link, status_link

register = template.Library()

SOURCES = {
    "source_link": source_link,
    "status_link": status_link,
    "source_caveat": source_caveat,
}


class JinjaNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, values: dict):
        self.name = name
        self.values = values

    def render(self, context) -> str:
        partial = engines["jinja2"].get_template(self.name.resolve(context))
        values = {key: value.resolve(context) for key, value in self.values.items()}
        return partial.render({**SOURCES, **values})


@register.tag
def jinja(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            '{% jinja "name.html" key=value ... %} needs a template name'
        )
    values = template.base.token_kwargs(bits[2:], parser, support_legacy=False)
    if len(values) != len(bits) - 2:
        raise template.TemplateSyntaxError("{% jinja %} takes key=value arguments only")
    return JinjaNode(parser.compile_filter(bits[1]), values)
