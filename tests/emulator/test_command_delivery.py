"""``recur_emulator advance`` / ``fail-card`` deliver their webhooks before returning."""

from __future__ import annotations

from django.core.management import call_command

from recur_django.emulator import sender
from recur_django.emulator.models import WebhookDelivery

from .test_portal_and_lists import subscribe


def background(settings, url: str) -> None:
    emulator = dict(settings.RECUR_EMULATOR)
    emulator.update(WEBHOOK_DELIVERY="background", WEBHOOK_URL=url)
    settings.RECUR_EMULATOR = emulator


def test_advance_delivers_in_background_mode_and_prints_each_delivery(
    recur_emulator, api, capture, settings, capsys
):
    subscribe(recur_emulator, api)
    recur_emulator.deliver()
    capture.reset()
    background(settings, recur_emulator.live_server_url + "/hooks/capture/")

    call_command("recur_emulator", "advance", "--days", "32")

    out = capsys.readouterr().out
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()
    renewals = WebhookDelivery.objects.filter(event__type="subscription.renewed")
    assert renewals.exists()
    for delivery in renewals:
        assert f"subscription.renewed {delivery.event.event_id}: HTTP 200" in out
    assert capture.requests  # the receiver got them before the command returned
    assert "webhook deliveries sent." in out


def test_a_refused_delivery_prints_its_status(recur_emulator, api, capture, settings, capsys):
    subscribe(recur_emulator, api)
    recur_emulator.deliver()
    background(settings, recur_emulator.live_server_url + "/hooks/capture/")
    capture.statuses.extend([500] * 20)

    call_command("recur_emulator", "advance", "--days", "32")

    out = capsys.readouterr().out
    assert ": HTTP 500" in out
    refused = WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.SUCCEEDED).count()
    url = recur_emulator.live_server_url + "/hooks/capture/"
    assert refused and f"{refused} of {refused} not accepted by {url}. The site answered" in out
    assert "HTTP 500" in out and "Is your site running" not in out  # it is running


def test_a_site_that_is_not_there_is_asked_about(recur_emulator, api, settings, capsys):
    subscribe(recur_emulator, api)
    nowhere = "http://127.0.0.1:9/billing/webhook/"  # the discard port: nothing listens
    background(settings, nowhere)
    call_command("recur_emulator", "deliver")
    out = capsys.readouterr().out
    assert f"not accepted by {nowhere}. Is your site running there? They stay pending" in out


def test_a_signature_the_site_refuses_points_at_the_webhook_secret(
    recur_emulator, api, settings, capsys
):
    subscribe(recur_emulator, api)
    settings.RECUR = {**settings.RECUR, "WEBHOOK_SECRET": "whsec_the_site_has_another"}
    background(settings, recur_emulator.webhook_url)
    call_command("recur_emulator", "deliver")
    out = capsys.readouterr().out
    assert ": HTTP 400" in out
    assert "Is your site running" not in out
    assert "The site refused the signature" in out
    assert "RECUR_EMULATOR['WEBHOOK_SECRET']" in out and "RECUR['WEBHOOK_SECRET']" in out


def test_deliveries_all_accepted_print_no_warning(recur_emulator, api, capture, settings, capsys):
    subscribe(recur_emulator, api)
    background(settings, recur_emulator.live_server_url + "/hooks/capture/")
    call_command("recur_emulator", "deliver")
    assert "not accepted" not in capsys.readouterr().out


def test_fail_card_drains_the_outbox(recur_emulator, api, capture, settings, capsys):
    subscribe(recur_emulator, api)
    background(settings, recur_emulator.live_server_url + "/hooks/capture/")
    call_command("recur_emulator", "fail-card", "amy@example.com")
    out = capsys.readouterr().out
    assert "card_fails=True" in out
    assert "checkout.completed" in out and "HTTP 200" in out
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()


def test_manual_mode_still_leaves_delivery_to_the_deliver_command(
    recur_emulator, api, capture, capsys
):
    subscribe(recur_emulator, api)
    recur_emulator.deliver()
    call_command("recur_emulator", "advance", "--days", "32")
    assert "Run 'recur_emulator deliver'" in capsys.readouterr().out
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()


def test_refund_delivers_in_background_mode_and_prints_each_delivery(
    recur_emulator, api, capture, settings, capsys
):
    done = subscribe(recur_emulator, api, product="prod_ebook")
    recur_emulator.deliver()
    capture.reset()
    background(settings, recur_emulator.live_server_url + "/hooks/capture/")

    call_command("recur_emulator", "refund", done["order_id"], "--amount", "90")

    out = capsys.readouterr().out
    assert "(90 of 590 refunded)" in out
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()
    for delivery in WebhookDelivery.objects.filter(event__type__startswith="refund."):
        assert f"{delivery.event.type} {delivery.event.event_id}: HTTP 200" in out
    assert len(capture.requests) == 2  # refund.created, refund.succeeded


def test_pending_deliveries_go_to_the_webhook_url_of_now(recur_emulator, api, capture, settings):
    """Queued while the site ran on another port, sent where it runs now (deliver, the
    admin's "send now" and the background sender all go through sender.send)."""
    old = "http://127.0.0.1:9/billing/webhook/"
    background(settings, old)
    with sender.held():  # queued, not sent: the site was "elsewhere" then
        subscribe(recur_emulator, api)
    queued = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING))
    assert queued and {d.url for d in queued} == {old}

    now = recur_emulator.live_server_url + "/hooks/capture/"
    background(settings, now)
    call_command("recur_emulator", "deliver")

    assert len(capture.requests) == len(queued)
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.status, delivery.url) == (WebhookDelivery.Status.SUCCEEDED, now)
