"""recur_django.owners with the default owner (the user model) and custom callables, and
the checks of the owner settings (recur.E020-E025, recur.W020)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from recur_django.conf import recur_settings
from recur_django.owner_checks import check_owner_settings
from recur_django.owners import (
    can_manage_billing,
    is_owner,
    owner_email,
    owner_for_request,
    owner_is_user_model,
    owner_model,
    owner_model_label,
    owner_name,
    resolve_owner,
)

CALLS: list[Any] = []


def act_for_first_user(request: Any) -> Any:
    CALLS.append(request)
    return get_user_model().objects.order_by("pk").first()


def act_for_a_group(request: Any) -> Any:
    return Group.objects.first()


def nobody_manages(user: Any, owner: Any) -> bool:
    return False


def billing_address(owner: Any) -> str:
    return f"billing+{owner.pk}@example.com"


def recur(**keys: Any) -> Any:
    from django.conf import settings

    return override_settings(RECUR={**settings.RECUR, **keys})


def request_of(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_default_owner_is_the_user_model():
    assert owner_model_label() == "auth.User"
    assert owner_model() is get_user_model() and owner_is_user_model()


@pytest.mark.django_db
def test_by_default_a_request_acts_for_its_logged_in_user(user):
    assert owner_for_request(request_of(user)) == user
    assert owner_for_request(request_of(AnonymousUser())) is None
    assert owner_for_request(None) is None
    assert is_owner(user) and not is_owner(AnonymousUser()) and not is_owner(None)


@pytest.mark.django_db
def test_by_default_only_the_owner_manages_its_billing(user, other_user):
    assert can_manage_billing(user, user)
    assert not can_manage_billing(other_user, user)
    assert not can_manage_billing(AnonymousUser(), user)
    assert not can_manage_billing(user, None)


@pytest.mark.django_db
def test_the_callables_are_imported_once_and_reloaded_with_the_setting(user, other_user):
    CALLS.clear()
    with recur(OWNER_FOR_REQUEST="tests.test_owners.act_for_first_user"):
        first = recur_settings.imported("OWNER_FOR_REQUEST")
        assert owner_for_request(request_of(other_user)) == user
        assert recur_settings.imported("OWNER_FOR_REQUEST") is first is act_for_first_user
        assert len(CALLS) == 1
    assert recur_settings.imported("OWNER_FOR_REQUEST") is None
    assert owner_for_request(request_of(other_user)) == other_user
    with recur(CAN_MANAGE_BILLING=nobody_manages):  # a callable works as well as a path
        assert not can_manage_billing(user, user)
    with (
        recur(CAN_MANAGE_BILLING="tests.test_owners.no_such_function"),
        pytest.raises(ImproperlyConfigured, match="CAN_MANAGE_BILLING"),
    ):
        can_manage_billing(user, user)


@pytest.mark.django_db
def test_a_callable_naming_no_owner_makes_the_request_act_for_nobody(user, caplog):
    Group.objects.create(name="staff")
    with (
        recur(OWNER_FOR_REQUEST="tests.test_owners.act_for_a_group"),
        caplog.at_level(logging.ERROR, logger="recur_django.owners"),
    ):
        assert owner_for_request(request_of(user)) is None
    assert "Group" in caplog.text


@pytest.mark.django_db
def test_the_owners_email_and_name(user, other_user):
    assert owner_email(user) == "alice@example.com"
    assert owner_name(user) == "Alice Lin"
    assert owner_name(other_user) == ""  # a user without a name sends none, as before
    assert owner_email(None) == owner_name(None) == ""
    with recur(OWNER_EMAIL="tests.test_owners.billing_address"):
        assert owner_email(user) == f"billing+{user.pk}@example.com"
    user.email = "evil@example.com\nBcc: victim@example.com"
    assert owner_email(user) == ""  # never a header injection
    assert owner_name(Group(name="Acme")) == "Acme"


@pytest.mark.django_db
def test_resolve_owner_for_templates(user):
    request = request_of(user)
    assert resolve_owner(request) == user
    assert resolve_owner(request.user, request) == user
    assert resolve_owner(user) == user
    assert resolve_owner(AnonymousUser()) is None
    assert resolve_owner(Group(name="x")) is None


# --- checks -----------------------------------------------------------------------------


def found(**keys: Any) -> dict[str, checks.CheckMessage]:
    with recur(**keys):
        return {m.id: m for m in check_owner_settings() if m.id}


def test_the_default_and_a_team_setup_pass():
    assert found() == {}
    assert (
        found(
            OWNER_MODEL="auth.Group",
            OWNER_EMAIL="tests.test_owners.billing_address",
            OWNER_FOR_REQUEST="tests.test_owners.act_for_a_group",
            CAN_MANAGE_BILLING=nobody_manages,
        )
        == {}
    )


@pytest.mark.parametrize(
    ("value", "check_id"),
    [
        ("nope.Team", "recur.E020"),
        ("auth.Nope", "recur.E021"),
        ("teams", "recur.E021"),
        ("a.b.C", "recur.E021"),
        (42, "recur.E021"),
    ],
)
def test_an_owner_model_that_is_no_installed_model_is_an_error(value, check_id):
    messages = found(OWNER_MODEL=value)
    assert messages[check_id].level == checks.ERROR
    assert "OWNER_MODEL" in messages[check_id].msg


def test_an_owner_model_without_an_email_source_is_e022():
    messages = found(OWNER_MODEL="auth.Group", OWNER_FOR_REQUEST=act_for_a_group)
    assert "recur.E022" in messages and "OWNER_EMAIL" in messages["recur.E022"].hint
    assert "recur.E022" not in found(OWNER_MODEL="auth.Group", OWNER_EMAIL=billing_address)


@pytest.mark.parametrize(
    ("key", "check_id"),
    [
        ("OWNER_FOR_REQUEST", "recur.E023"),
        ("CAN_MANAGE_BILLING", "recur.E024"),
        ("OWNER_EMAIL", "recur.E025"),
    ],
)
@pytest.mark.parametrize("value", ["tests.test_owners.missing", "no_such_module.f", 3])
def test_a_callable_setting_that_does_not_import_is_an_error(key, check_id, value):
    message = found(**{key: value})[check_id]
    assert message.level == checks.ERROR and key in message.msg


def test_a_path_to_something_not_callable_is_an_error():
    assert "recur.E023" in found(OWNER_FOR_REQUEST="tests.test_owners.CALLS")


def test_another_owner_model_with_the_default_callables_is_w020():
    message = found(OWNER_MODEL="auth.Group", OWNER_EMAIL=billing_address)["recur.W020"]
    assert message.level == checks.WARNING
    assert "OWNER_FOR_REQUEST and CAN_MANAGE_BILLING" in message.msg


def test_registered_with_django_checks():
    with recur(OWNER_FOR_REQUEST="no_such_module.f"):
        assert "recur.E023" in {m.id for m in checks.run_checks(tags=["recur"])}
