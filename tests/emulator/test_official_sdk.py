"""Recur's official JavaScript server SDK (npm ``recur-tw``) works against the emulator.

The SDK is installed from the npm registry into a cache outside the repository on first
use; the test is skipped only when Node.js or npm is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SDK_VERSION = "0.11.0"
SCRIPT = Path(__file__).with_name("official_sdk.cjs")
EMAIL = "sdk-buyer@example.com"

pytestmark = pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")), reason="Node.js and npm are not installed"
)


@pytest.fixture(scope="session")
def sdk_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    target = cache / "recur-django" / f"recur-tw-{SDK_VERSION}"
    if not (target / "node_modules" / "recur-tw" / "package.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--silent",
                f"recur-tw@{SDK_VERSION}",
            ],
            cwd=target,
            check=True,
            timeout=300,
        )
    return target


def test_server_sdk_entitlements_and_portal(recur_emulator, sdk_dir: Path) -> None:
    session = recur_emulator.client.checkout_sessions.create(
        product_slug="pro-monthly",
        success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/cancel",
        customer_email=EMAIL,
    )
    assert recur_emulator.pay(session.id).status_code == 303

    env = {**os.environ, "NODE_PATH": str(sdk_dir / "node_modules")}
    result = subprocess.run(
        [
            "node",
            str(SCRIPT),
            recur_emulator.base_url,
            "sk_test_tests",
            EMAIL,
            "https://shop.example/account",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)

    entitlements = out["entitlements"]["entitlements"]
    assert [(e["product"], e["productId"]) for e in entitlements] == [
        ("pro-monthly", "prod_pro_monthly")
    ]
    assert entitlements[0]["status"] == "active"
    assert out["check"]["allowed"] is True
    assert out["check"]["subscription"]["status"].upper() == "ACTIVE"
    assert out["checkOther"]["allowed"] is False
    assert out["portal"]["url"].startswith(recur_emulator.base_url + "/portal/")
    assert out["portal"]["id"]
    assert out["unknownCustomer"] == {"statusCode": 404, "code": "customer_not_found"}
