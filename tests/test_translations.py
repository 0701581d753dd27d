"""The Traditional Chinese (Taiwan) catalogs are complete, well-formed, compiled and used."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from recur_django.models import Subscription, Transaction
from recur_django.portal import NoCustomerError

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIRS = [
    ROOT / "recur_django" / "locale",
    ROOT / "recur_django" / "emulator" / "locale",
    ROOT / "example_project" / "locale",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
HTML_TAG = re.compile(r"</?\w+[^>]*>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    """One message of a .po file."""

    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Parse the active (non-obsolete) entries of a gettext catalog, header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        keyword, _, rest = line.partition(" ")
        starts_entry = line.startswith("#") or keyword in {"msgctxt", "msgid"}
        if current is None or (starts_entry and current.msgstr):
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#"):
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without a keyword"
            _append(current, target, _unquote(line))
            continue
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match.group(1)))
        elif keyword in {"msgctxt", "msgid", "msgid_plural", "msgstr"}:
            target = (keyword, 0)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
        _append(current, target, _unquote(rest), start=True)
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str, *, start: bool = False) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = ("" if start else entry.msgstr[index]) + text
    elif name == "msgctxt":
        entry.msgctxt = ("" if start else entry.msgctxt or "") + text
    elif name == "msgid_plural":
        entry.msgid_plural = ("" if start else entry.msgid_plural or "") + text
    else:
        entry.msgid = ("" if start else entry.msgid) + text


def catalog(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / "django.po"


def messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if entry.msgid]


def header(path: Path) -> Entry:
    first = parse_po(path)[0]
    assert first.msgid == "", f"{path} has no header entry"
    return first


ZH_CATALOGS = [catalog(d, "zh_Hant") for d in CATALOG_DIRS]
ZH_IDS = [str(p.relative_to(ROOT)) for p in ZH_CATALOGS]


@pytest.mark.parametrize("path", ZH_CATALOGS, ids=ZH_IDS)
def test_zh_hant_catalog_is_fully_translated(path: Path) -> None:
    entries = messages(path)
    assert entries, f"{path} has no messages"
    assert "fuzzy" not in header(path).flags
    fuzzy = [e.label for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in {path}: {fuzzy}"
    untranslated = [e.label for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    assert not untranslated, f"untranslated entries in {path}: {untranslated}"


@pytest.mark.parametrize("path", ZH_CATALOGS, ids=ZH_IDS)
def test_zh_hant_uses_one_plural_form(path: Path) -> None:
    assert "Plural-Forms: nplurals=1; plural=0;" in header(path).msgstr[0]
    plurals = [e for e in messages(path) if e.msgid_plural is not None]
    wrong = [e.label for e in plurals if set(e.msgstr) != {0}]
    assert not wrong, f"plural entries need exactly msgstr[0] in {path}: {wrong}"


@pytest.mark.parametrize("path", ZH_CATALOGS, ids=ZH_IDS)
def test_zh_hant_keeps_placeholders_and_markup(path: Path) -> None:
    problems = []
    for entry in messages(path):
        for source in filter(None, [entry.msgid, entry.msgid_plural]):
            for translated in entry.msgstr.values():
                if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                    problems.append(f"{entry.label} placeholders -> {translated!r}")
                if sorted(HTML_TAG.findall(source)) != sorted(HTML_TAG.findall(translated)):
                    problems.append(f"{entry.label} markup -> {translated!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "directory", CATALOG_DIRS, ids=[str(d.relative_to(ROOT)) for d in CATALOG_DIRS]
)
def test_en_catalog_has_the_same_messages_left_in_english(directory: Path) -> None:
    english = messages(catalog(directory, "en"))
    chinese = messages(catalog(directory, "zh_Hant"))
    key = lambda e: (e.msgctxt, e.msgid, e.msgid_plural)  # noqa: E731
    assert sorted(map(key, english), key=repr) == sorted(map(key, chinese), key=repr)
    assert all(not text for e in english for text in e.msgstr.values())


@pytest.mark.parametrize("path", ZH_CATALOGS, ids=ZH_IDS)
def test_compiled_catalog_matches_the_po_file(path: Path) -> None:
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages(path):
        if entry.msgid_plural is not None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        elif entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
        else:
            got = compiled.gettext(entry.msgid)
        if got != entry.msgstr[0]:
            stale.append(entry.label)
    assert not stale, f"{path.with_suffix('.mo')} is out of date (run scripts/messages.sh): {stale}"


def test_model_names_and_choices_are_translated() -> None:
    with translation.override("zh-hant"):
        assert str(Subscription._meta.verbose_name) == "訂閱"
        assert str(Transaction._meta.verbose_name_plural) == "交易"
        assert str(Subscription.Status.PAST_DUE.label) == "逾期"
        assert str(Subscription._meta.get_field("cancel_at_period_end").verbose_name) == (
            "於本期結束時取消"
        )
        assert str(NoCustomerError().message).startswith("您目前還沒有任何訂閱")
    with translation.override("en"):
        assert str(Subscription._meta.verbose_name) == "subscription"


@pytest.mark.django_db
def test_checkout_error_page_follows_the_browser_language() -> None:
    user = get_user_model().objects.create_user("mei", "mei@example.com", "pw")
    browser = Client()
    browser.force_login(user)
    response = browser.post(
        reverse("recur:checkout"), {"product": ""}, HTTP_ACCEPT_LANGUAGE="zh-TW"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "無法開始結帳" in page
    assert "請選擇要購買的商品。" in page
    assert "您尚未被扣款。" in page

    response = browser.post(
        reverse("recur:checkout"),
        b"[]",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    assert response.json()["error"]["message"] == "請求內容不是 JSON 物件。"
    english = browser.post(reverse("recur:checkout"), {"product": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert "We could not start your checkout" in english.content.decode()


@pytest.mark.django_db
def test_portal_without_subscription_speaks_chinese() -> None:
    user = get_user_model().objects.create_user("hao", "hao@example.com", "pw")
    browser = Client()
    browser.force_login(user)
    response = browser.post(reverse("recur:portal"), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>尚無訂閱</h1>" in page
    assert "查看方案與價格" in page
    response = browser.post(
        reverse("recur:portal"), HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert response.json()["error"]["message"].startswith("您目前還沒有任何訂閱")


@pytest.mark.django_db
def test_emulator_checkout_page_uses_its_own_catalog() -> None:
    from recur_django.emulator.services.catalog import seed_products

    seed_products()
    browser = Client()
    created = browser.post(
        "/_recur/v1/checkout/sessions",
        {
            "productId": "prod_pro_monthly",
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/cancel",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer sk_test_tests",
    )
    assert created.status_code == 200, created.content
    session_id = created.json()["id"]

    browser.cookies["django_language"] = "zh-hant"
    page = browser.get(reverse("recur_emulator:checkout-page", args=[session_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "— 結帳</title>" in html
    assert "支付 NT$299" in html
    assert "信用卡號碼" in html
    assert "/ 月" in html
    assert "本機的 Recur 模擬器" in html
    assert "不會產生實際付款" in html

    refused = browser.post(
        reverse("recur_emulator:checkout-pay", args=[session_id]),
        {"card_number": "1234", "email": "mei@example.com"},
    )
    assert refused.status_code == 400
    assert "請輸入有效的信用卡號碼。" in refused.content.decode()

    missing = browser.get(reverse("recur_emulator:checkout-page", args=["cs_missing"]))
    assert missing.status_code == 404
    assert "找不到頁面" in missing.content.decode()


def test_a_subscription_status_is_one_word_wherever_it_is_shown() -> None:
    """A status and a longer label built on it ("Active — cancels on …", in the example
    shop's account table next to plain "Active") use the same Chinese word."""
    with translation.override("en"):
        statuses = {str(label) for label in Subscription.Status.labels}
    words = {
        entry.msgid: entry.msgstr.get(0, "")
        for entry in messages(catalog(CATALOG_DIRS[0], "zh_Hant"))
        if entry.msgid in statuses
    }
    assert words.get("Active")
    mismatches = [
        f"{path.relative_to(ROOT)}: {entry.msgid!r} -> {entry.msgstr.get(0)!r}"
        for path in ZH_CATALOGS
        for entry in messages(path)
        for status, word in words.items()
        if entry.msgid.startswith(f"{status} — ") and not entry.msgstr.get(0, "").startswith(word)
    ]
    assert mismatches == []
