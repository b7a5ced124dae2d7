"""The Jinja2 environment of the dashboards' long table partials.

Django's template engine costs about 0.1 ms per rendered loop row; the caseload, the
trajectory's data tables and the supervisor's weekly tables run to hundreds of rows, so
those partials are Jinja2 templates (templates/jinja2/), compiled to Python and still
autoescaped; so are the record pages' content and the site header every page includes
(components/_site_header.html). Everything else stays a Django template. A Django template
includes a partial with `{% jinja "dashboards/_x.html" name=value %}`
(dashboards/templatetags/jinja.py).

The partials hold no script and no style attribute, so they need no CSP nonce. `Markup`
and `|safe` are not used: tests/security/test_headers.py counts them with mark_safe calls.
"""

from __future__ import annotations

from uuid import UUID

from django.template.defaultfilters import date, linebreaks_filter, linebreaksbr
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import template_localtime
from jinja2 import Environment, StrictUndefined

from ipnb_notes import links


def status_of(item) -> tuple[str, str]:
    """(label, url) of an indicator's instrument status, as {% status_link %} prints it."""
    from ipnb_notes.templatetags.sources import status_of

    return status_of(item)


def url(name: str, *args) -> str:
    """reverse(name, args=args); a link without arguments or with one UUID comes from its
    pattern reversed once per process (ipnb_notes.links)."""
    if not args:
        return links.link(name)
    if len(args) == 1 and isinstance(args[0], UUID):
        return links.link(name, args[0])
    return reverse(name, args=args)


def local_date(value, fmt: str = "") -> str:
    """Django's |date filter as a Django template applies it: an aware datetime in the
    current time zone first (None prints nothing)."""
    return date(template_localtime(value), fmt)


def environment(**options) -> Environment:
    # Autoescaping is forced on whatever the settings say: every value a partial prints
    # is escaped unless it is already safe HTML (Django's SafeString, Jinja2's Markup).
    options.pop("autoescape", None)
    # A misspelt name fails the render instead of printing nothing.
    options["undefined"] = StrictUndefined
    # A block tag alone on its line leaves no blank line behind.
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = Environment(autoescape=True, **options)
    env.globals.update({"url": url, "static": static, "status_of": status_of})
    env.filters["localtime"] = timezone.localtime
    # Django's own filters, which escape the text before adding <p> and <br> (a note's and a
    # comment's paragraphs print as on the Django templates).
    env.filters["linebreaks"] = linebreaks_filter
    env.filters["linebreaksbr"] = linebreaksbr
    env.filters["date"] = local_date
    return env
