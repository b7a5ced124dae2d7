"""The client page's empty goal form is printed from values worked out once per process
(clients.forms.printed_goal_fields): the same markup as the form rendered by Django's Jinja2
form renderer, and nothing of any reader or record in what is kept."""

from __future__ import annotations

import pytest
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.template import engines
from django.urls import reverse

from clients.forms import GoalForm, printed_goal_fields
from tests.factories import make_goal

FIELDS = '{% from "sessions/_forms.html" import field %}'


def test_the_printed_goal_form_is_the_form_django_renders():
    env = engines["jinja2"].env
    form = GoalForm()
    form.renderer = Jinja2FormRenderer()
    rendered = env.from_string(
        FIELDS + "{% for f in form %}{{ field(f) }}{% endfor %}"
    ).render(form=form)
    printed = env.from_string(
        FIELDS + "{% for f, w in fields %}{{ field(f, w) }}{% endfor %}"
    ).render(fields=printed_goal_fields())
    assert printed == rendered
    assert 'name="text"' in printed and 'type="date"' in printed


@pytest.mark.django_db
def test_the_kept_form_holds_no_readers_data(client, alice, alices_client):
    make_goal(alices_client, alice, text="Sleep through the night")
    client.force_login(alice)
    url = reverse("clients:client_detail", args=[alices_client.code])
    page = client.get(url).content.decode()
    action = reverse("clients:goal_create", args=[alices_client.code])
    assert f'action="{action}"' in page
    kept = printed_goal_fields()
    assert kept is printed_goal_fields()  # one list per process
    for f, w in kept:
        assert w.get("value") in (None, "")  # an empty form
        assert str(alices_client.code) not in repr(w) + f.label + str(f.help_text)
        assert "Sleep through the night" not in repr(w)
