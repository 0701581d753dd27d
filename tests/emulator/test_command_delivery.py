"""``recur_emulator advance`` / ``fail-card`` deliver their webhooks before returning."""

from __future__ import annotations

from django.core.management import call_command

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
    assert refused and f"{refused} of {refused} not accepted by {url}: is your site" in out


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
