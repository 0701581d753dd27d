"""The reference pages (docs/reference/) stay complete as the code grows: every system check
id, every setting key, every model field and every reverse accessor is documented there."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model

from recur_django.conf import DEFAULTS
from recur_django.emulator.conf import DEFAULTS as EMULATOR_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
CHECK_ID = r"(?:recur|recur_[a-z_]+)\.[EWCI]\d{3}"


def section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``##`` heading."""
    match = re.search(rf"^## {re.escape(heading)}\b.*?$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def test_every_check_id_is_in_the_checks_reference() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "recur_django").rglob("*.py"))
    raised = set(re.findall(rf"[\"']({CHECK_ID})[\"']", source))  # id="…" and ids passed on
    documented = set(
        re.findall(rf"^\| `({CHECK_ID})` \|", (REFERENCE / "checks.md").read_text(), re.M)
    )
    assert len(raised) >= 24
    assert sorted(raised - documented) == []  # a check nobody can look up
    assert sorted(documented - raised) == []  # a documented check that no longer exists


def test_every_setting_key_is_in_the_settings_reference() -> None:
    text = (REFERENCE / "settings.md").read_text()
    for name, defaults in (("RECUR", DEFAULTS), ("RECUR_EMULATOR", EMULATOR_DEFAULTS)):
        listed = set(re.findall(r"^\| `([A-Z_]+)` \|", section(text, name), re.M))
        assert sorted(set(defaults) - listed) == [], name
        assert sorted(listed - set(defaults)) == [], name


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()  # EInvoice -> einvoice


def recur_models() -> list[type]:
    return [m for m in apps.get_app_config("recur_django").get_models() if not m._meta.proxy]


def test_every_model_and_field_is_in_the_models_reference() -> None:
    text = (REFERENCE / "models.md").read_text()
    for model in recur_models():
        fields = section(text, model.__name__)
        missing = [
            f.name
            for f in model._meta.concrete_fields
            if not f.primary_key and f"`{f.name}`" not in fields
        ]
        assert missing == [], f"{model.__name__}: {missing}"


def test_every_reverse_accessor_is_in_the_models_reference() -> None:
    """``payment.refunds``, ``user.recur_payments``, ``customer.subscriptions``…"""
    text = (REFERENCE / "models.md").read_text()
    user_model = get_user_model()
    accessors = set()
    for model in recur_models():
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.remote_field is None:
                continue
            target = field.related_model
            if field.name == "owner":  # the owner model: the user model by default
                side = "owner"
            else:
                side = "user" if target is user_model else snake(target.__name__)
            accessors.add(f"{side}.{field.remote_field.get_accessor_name()}")
    assert {"payment.refunds", "user.recur_payments", "customer.subscriptions"} <= accessors
    assert sorted(a for a in accessors if f"`{a}`" not in text) == []
