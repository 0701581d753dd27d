"""The two ways docs/checkout.md gives to put recur-django's pages in your layout work as
written: a project templates directory in TEMPLATES["DIRS"] (which ``startproject`` leaves
empty), or an app of yours listed before "recur_django" in INSTALLED_APPS."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

APP = "tests.template_override"


def return_page_text(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("recur:checkout-return"), {"session_id": "cs_unknown"})
    assert response.status_code == 404  # the "not found" page extends recur_django/base.html
    return response.content.decode()


def templates_with_dirs(*dirs: Path) -> list[dict]:
    return [{**settings.TEMPLATES[0], "DIRS": list(dirs)}]


def test_a_project_templates_directory_overrides_the_base(client, user, tmp_path):
    (tmp_path / "recur_django").mkdir()
    (tmp_path / "recur_django" / "base.html").write_text(
        "<header>OVERRIDDEN BY THE PROJECT</header>{% block content %}{% endblock %}"
    )
    with override_settings(TEMPLATES=templates_with_dirs(tmp_path)):
        assert "OVERRIDDEN BY THE PROJECT" in return_page_text(client, user)


def test_without_dirs_an_app_listed_before_recur_django_overrides_it(client, user):
    apps = list(settings.INSTALLED_APPS)
    at = apps.index("recur_django")
    before = [*apps[:at], APP, *apps[at:]]
    with override_settings(INSTALLED_APPS=before, TEMPLATES=templates_with_dirs()):
        assert "OVERRIDDEN BY AN APP" in return_page_text(client, user)


def test_an_app_listed_after_recur_django_does_not(client, user):
    after = [*settings.INSTALLED_APPS, APP]
    with override_settings(INSTALLED_APPS=after, TEMPLATES=templates_with_dirs()):
        assert "OVERRIDDEN" not in return_page_text(client, user)
