from __future__ import annotations

from recur_django.emulator.models import PaymentLink


def create(api, **fields):
    response = api.post("payment-links", json={"productId": "prod_ebook", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def test_create_retrieve_update_delete(api):
    link = create(api, maxCompletions=3, metadata={"campaign": "spring"}, promotionCode="SPRING")
    assert link["url"].endswith(f"/_recur/buy/{link['url_id']}")
    assert link["product"] == {
        "id": "prod_ebook",
        "name": "Django billing e-book",
        "slug": "ebook",
        "price": 590,
        "currency": "TWD",
        "type": "ONE_TIME",
    }
    assert (link["active"], link["max_completions"], link["environment"]) == (True, 3, "SANDBOX")
    assert link["collect_payment_method"] == "always"
    assert api.get(f"payment-links/{link['id']}").json() == link

    patched = api.call(
        "PATCH",
        f"payment-links/{link['id']}",
        json={"maxCompletions": None, "promotionCode": None, "active": False},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["max_completions"], body["promotion_code"], body["active"]) == (None, None, False)
    assert body["metadata"] == {"campaign": "spring"}

    deleted = api.call("DELETE", f"payment-links/{link['id']}")
    assert deleted.json() == {"id": link["id"], "deleted": True}
    assert PaymentLink.objects.get().active is False  # soft delete


def test_create_by_slug_and_bad_fields(api):
    assert (
        create(api, productId=None, productSlug="pro-monthly")["product_id"] == "prod_pro_monthly"
    )
    for body in (
        {"productId": "prod_ebook", "maxCompletions": "three"},
        {"productId": "prod_ebook", "maxCompletions": 0},
        {"productId": "prod_ebook", "collectPaymentMethod": "never"},
        {"productId": "prod_ebook", "successUrl": "ftp://x"},
        {},
    ):
        response = api.post("payment-links", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"
    link = create(api)
    bad = api.call("PATCH", f"payment-links/{link['id']}", json={"active": "yes"})
    assert bad.status_code == 400


def test_list_pagination_and_active_filter(api):
    ids = [create(api)["id"] for _ in range(5)]
    api.call("DELETE", f"payment-links/{ids[0]}")
    page = api.get("payment-links?limit=2").json()
    assert [row["id"] for row in page["data"]] == ids[::-1][:2]
    assert page["has_more"] is True
    page2 = api.get(f"payment-links?limit=2&starting_after={page['data'][-1]['id']}").json()
    assert [row["id"] for row in page2["data"]] == ids[::-1][2:4]
    page3 = api.get(f"payment-links?limit=2&starting_after={page2['data'][-1]['id']}").json()
    assert [row["id"] for row in page3["data"]] == [ids[0]]
    assert page3["has_more"] is False
    assert len(api.get("payment-links").json()["data"]) == 5  # default 20
    assert len(api.get("payment-links?active=true").json()["data"]) == 4
    assert [r["id"] for r in api.get("payment-links?active=false").json()["data"]] == [ids[0]]


def test_limit_default_is_20_and_max_100(api):
    for _ in range(21):
        create(api)
    page = api.get("payment-links").json()
    assert len(page["data"]) == 20 and page["has_more"] is True
    assert len(api.get("payment-links?limit=100").json()["data"]) == 21


def test_buy_page_counts_and_enforces_max_completions(recur_emulator, api):
    link = create(api, maxCompletions=1, metadata={"campaign": "x"})
    http = recur_emulator.http
    visit = http.get(link["url"], allow_redirects=False)
    assert visit.status_code == 303
    session_id = visit.headers["Location"].rstrip("/").split("/")[-1]
    page = http.get(recur_emulator.url(f"checkout/{session_id}"))
    assert page.status_code == 200 and "Django billing e-book" in page.text
    second_visit = http.get(link["url"], allow_redirects=False)
    other_session = second_visit.headers["Location"].rstrip("/").split("/")[-1]

    paid = recur_emulator.pay(session_id)
    assert paid.status_code == 303
    assert f"/_recur/checkout/{session_id}/done" in paid.headers["Location"]
    assert http.get(paid.headers["Location"]).status_code == 200

    body = api.get(f"payment-links/{link['id']}").json()
    assert (body["view_count"], body["session_count"], body["completed_count"]) == (2, 2, 1)
    completed = recur_emulator.events("checkout.completed")[0]["data"]
    assert completed["metadata"] == {"campaign": "x"}

    # The limit is reached: new visits and the still-open second session are refused.
    assert http.get(link["url"], allow_redirects=False).status_code == 410
    assert recur_emulator.pay(other_session).status_code == 410
    body = api.get(f"payment-links/{link['id']}").json()
    assert (body["view_count"], body["session_count"], body["completed_count"]) == (3, 2, 1)


def test_inactive_link_shows_an_error_page(recur_emulator, api):
    link = create(api)
    api.call("DELETE", f"payment-links/{link['id']}")
    response = recur_emulator.http.get(link["url"], allow_redirects=False)
    assert response.status_code == 410
    assert "no longer available" in response.text
    assert recur_emulator.http.get(recur_emulator.url("buy/nope")).status_code == 404
