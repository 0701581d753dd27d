"""Constructor validation, key redaction helpers and client properties."""

from __future__ import annotations

import pytest

from recur_django.client import RecurClient, redact_key


@pytest.mark.parametrize("key", ["pk_test_abc123", "pk_live_abc123"])
def test_publishable_key_is_rejected_with_a_hint(key):
    with pytest.raises(ValueError, match="PUBLISHABLE_KEY") as info:
        RecurClient(key)
    assert key not in str(info.value)
    assert "SECRET_KEY" in str(info.value)


@pytest.mark.parametrize("key", ["", "   ", None, 123, "whsec_abc", "test_abc"])
def test_non_secret_keys_are_rejected(key):
    with pytest.raises(ValueError, match="sk_") as info:
        RecurClient(key)
    if isinstance(key, str) and key.strip():
        assert key not in str(info.value)


def test_secret_key_in_the_publishable_slot_is_rejected():
    with pytest.raises(ValueError, match="shown to browsers") as info:
        RecurClient("sk_test_abc123", publishable_key="sk_test_abc123")
    assert "sk_test_abc123" not in str(info.value)


def test_valid_construction_and_properties():
    client = RecurClient(
        "sk_live_0123456789abcdef",
        base_url="https://example.test/",
        timeout=(1.0, 2.0),
        max_retries=5,
        max_retry_wait=3.0,
        publishable_key="pk_live_x",
    )
    assert client.base_url == "https://example.test"
    assert client.timeout == (1.0, 2.0)
    assert client.max_retries == 5
    assert client.max_retry_wait == 3.0
    assert client.publishable_key == "pk_live_x"
    assert client.is_live is True
    assert "0123456789abcdef" not in repr(client)
    client.close()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("sk_test_51SecretValue9f3c", "sk_test_…9f3c"),
        ("sk_live_51SecretValueabcd", "sk_live_…abcd"),
        ("sk_test_short", "sk_test_…"),  # too short to reveal a tail
        ("", "<empty>"),
    ],
)
def test_redact_key(key, expected):
    assert redact_key(key) == expected


def test_client_module_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys; import recur_django.client; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_environment_proxies_and_ca_bundle_are_resolved_once(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp.pem")
    client = RecurClient("sk_test_abc123")
    session = client._transport.session
    assert session.proxies.get("https") == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/corp.pem"
    assert session.trust_env is False
    client.close()


def test_no_proxy_is_respected(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "api.recur.tw")
    client = RecurClient("sk_test_abc123")
    assert "https" not in client._transport.session.proxies
    client.close()


def test_a_caller_supplied_session_is_used_as_configured():
    import requests

    session = requests.Session()
    client = RecurClient("sk_test_abc123", session=session)
    assert client._transport.session is session
    assert session.trust_env is True
    assert session.headers["Authorization"] == "Bearer sk_test_abc123"
    client.close()
