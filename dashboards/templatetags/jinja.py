"""`{% jinja "dashboards/_partial.html" name=value ... %}`: a Jinja2 partial inside a page.

The partial is rendered by the "jinja2" template engine (ipnb_notes/jinja2.py, autoescape
forced on) with the named values alone, no request and no context processors, and its
output goes into the page like an {% include %}'s: the escaping happened in Jinja2.
"""

from __future__ import annotations

from django import template
from django.template import engines

register = template.Library()


class JinjaNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, values: dict):
        self.name = name
        self.values = values

    def render(self, context) -> str:
        partial = engines["jinja2"].get_template(self.name.resolve(context))
        return partial.render(
            {key: value.resolve(context) for key, value in self.values.items()}
        )


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
