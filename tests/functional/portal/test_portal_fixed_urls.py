"""The base page's links are reversed once per process (``fixed_url``): still the same URLs as
``{% url %}``, and still following the script prefix the server runs under."""

from __future__ import annotations

from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix

from vool.interfaces.portal.templatetags.portal import fixed_url

NAMES = ("portal:overview", "portal:invoices", "portal:requests", "portal:logout", "set_language")


def test_the_same_urls_as_reverse():
    for name in NAMES:
        assert fixed_url(name) == reverse(name)


def test_a_script_prefix_is_followed_and_forgotten():
    set_script_prefix("/vool/")
    try:
        assert fixed_url("portal:overview") == "/vool/portal/"
    finally:
        clear_script_prefix()
    assert fixed_url("portal:overview") == "/portal/"


def test_as_a_variable_in_a_template():
    template = engines["django"].from_string(
        "{% load portal %}{% fixed_url 'portal:invoices' as there %}<a href=\"{{ there }}\">"
    )
    assert template.render({}) == f'<a href="{reverse("portal:invoices")}">'
