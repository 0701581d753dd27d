"""``manage.py recur_emulator seed|deliver|advance|fail-card|refund|cancel|resume|switch|fault|
clear-faults``: drive the local Recur.

Every subcommand changes the emulator's state, so each refuses (``CommandError``) while
the emulator is disabled, by the same rule as its URLs (:mod:`recur_django.emulator.gate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recur_django.emulator import faults, sender
from recur_django.emulator.api.control import set_card
from recur_django.emulator.api.errors import ApiError
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.gate import EmulatorClosed, require_open
from recur_django.emulator.models import WebhookDelivery
from recur_django.emulator.services import catalog, clock, lifecycle, promotions, refunds

MAX_ADVANCE_DAYS = 3650

T = TypeVar("T")


class Command(BaseCommand):
    help = "Operate the Recur emulator: seed products, deliver webhooks, advance the clock."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser(
            "seed",
            help="Create the products of RECUR_EMULATOR['PRODUCTS'] (and its COUPONS) that "
            "do not exist yet.",
        )
        seed.add_argument(
            "--update",
            action="store_true",
            help="also set existing products back to the settings (product.updated events)",
        )
        sub.add_parser("deliver", help="Send every pending webhook delivery now.")
        advance = sub.add_parser("advance", help="Move the emulator clock forward.")
        advance.add_argument("--days", type=float, default=0)
        advance.add_argument("--hours", type=float, default=0)
        card = sub.add_parser("fail-card", help="Make a customer's renewal charges fail.")
        card.add_argument("customer", help="customer id, email or external id")
        card.add_argument("--fix", action="store_true", help="make the card work again")
        refund = sub.add_parser("refund", help="Refund a paid order or invoice.")
        refund.add_argument("id", help="order id (ord_…) or invoice id (in_…)")
        refund.add_argument("--amount", type=int, help="amount to refund (default: all left)")
        refund.add_argument("--reason", default="", help="reason sent with the refund")
        fault = sub.add_parser("fault", help="Queue a fault (API, webhook or e-invoice).")
        fault.add_argument("kind", choices=sorted(faults.KINDS))
        fault.add_argument("--count", type=int, default=1, help="calls or events it hits")
        fault.add_argument("--operation", help="e-invoice operation (Issue, Allowance…)")
        fault.add_argument("--status", type=int, help="HTTP status of a 5xx or lost answer")
        fault.add_argument("--seconds", type=float, help="hang, delay, or lost-answer wait")
        fault.add_argument("--code", type=int, help="RtnCode of an e-invoice refusal")
        fault.add_argument("--message", help="RtnMsg of an e-invoice refusal")
        sub.add_parser("clear-faults", help="Remove every queued fault.")
        cancel = sub.add_parser("cancel", help="Cancel a subscription now (access ends at once).")
        cancel.add_argument("subscription", help="subscription id (sub_…)")
        cancel.add_argument(
            "--at-period-end", action="store_true", help="end it when the paid period ends"
        )
        resume = sub.add_parser("resume", help="Keep a subscription set to cancel at period end.")
        resume.add_argument("subscription", help="subscription id (sub_…)")
        switch = sub.add_parser(
            "switch", help="Switch plan: an upgrade applies now, a downgrade at period end."
        )
        switch.add_argument("subscription", help="subscription id (sub_…)")
        switch.add_argument("product", help="product id or slug of the same family")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_open()
        except EmulatorClosed as exc:
            raise CommandError(str(exc)) from None
        action = options["action"]
        if action == "seed":
            self._seed(options["update"])
        elif action == "deliver":
            sent = sender.deliver_pending()
            self._report(sent)
            self.stdout.write(f"{len(sent)} deliveries sent.")
        elif action == "advance":
            days, hours = options["days"], options["hours"]
            if not (days >= 0 and hours >= 0 and days + hours > 0):  # also refuses NaN
                raise CommandError("Give a positive --days or --hours.")
            if days + hours / 24 > MAX_ADVANCE_DAYS:
                raise CommandError(f"Advance at most {MAX_ADVANCE_DAYS} days at a time.")
            result, delivered = self._delivering(
                lambda: clock.advance(days=days, seconds=hours * 3600)
            )
            self.stdout.write(
                f"Clock is now {result.now}; {result.transitions} subscription changes, "
                f"{result.expired_sessions} checkout sessions expired."
            )
            self._report_sent_or_pending(delivered)
        elif action == "fail-card":
            try:
                card, delivered = self._delivering(
                    lambda: set_card(options["customer"], not options["fix"])
                )
            except ApiError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"{card['customer']}: card_fails={card['card_fails']}")
            self._report_sent(delivered)
        elif action == "refund":
            self._refund(options["id"], options["amount"], options["reason"])
        elif action == "fault":
            if options["count"] < 1:
                raise CommandError("--count must be at least 1.")
            names = ("operation", "status", "seconds", "code", "message")
            extra = {name: options[name] for name in names if options[name] is not None}
            made = faults.add(options["kind"], options["count"], **extra)
            self.stdout.write(f"Fault {made.kind} x{made.remaining} queued {made.options or ''}")
        elif action == "clear-faults":
            self.stdout.write(f"{faults.clear()} faults removed.")
        else:
            self._change(action, options)

    def _seed(self, update: bool) -> None:
        if not emulator_settings.PRODUCTS:
            raise CommandError("RECUR_EMULATOR['PRODUCTS'] is empty; nothing to seed.")
        # Their events wait for the site: at `make demo` it is not running yet.
        with sender.held():
            try:
                result = catalog.seed_products(update=update)
                coupons = promotions.seed_coupons()
            except (KeyError, TypeError, ValueError) as exc:
                raise CommandError(f"Invalid product in RECUR_EMULATOR['PRODUCTS']: {exc}") from exc
            except promotions.PromotionError as exc:
                raise CommandError(f"Invalid coupon in RECUR_EMULATOR['COUPONS']: {exc}") from exc
        self.stdout.write(
            f"Products: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} {'unchanged' if update else 'kept as they are'}."
        )
        if coupons:
            self.stdout.write(f"Coupons: {coupons} created.")

    def _change(self, action: str, options: dict[str, Any]) -> None:
        """cancel, resume or switch one subscription."""
        sub_id = options["subscription"]
        try:
            if action == "cancel":
                at_end = options["at_period_end"]
                sub, delivered = self._delivering(lambda: lifecycle.cancel(sub_id, at_end))
                outcome = "cancels at period end" if at_end else "cancelled now"
            elif action == "resume":
                sub, delivered = self._delivering(lambda: lifecycle.resume(sub_id))
                outcome = "resumed"
            else:
                (sub, outcome), delivered = self._delivering(
                    lambda: lifecycle.switch(sub_id, options["product"])
                )
        except lifecycle.SubscriptionChangeError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{sub.id}: {outcome} ({sub.status}, {sub.product_id}, period ends "
            f"{sub.current_period_end:%Y-%m-%d})."
        )
        self._report_sent_or_pending(delivered)

    def _refund(self, identifier: str, amount: int | None, reason: str) -> None:
        if amount is not None and amount <= 0:
            raise CommandError("--amount must be a positive whole number of TWD.")
        try:
            refund, delivered = self._delivering(lambda: refunds.refund(identifier, amount, reason))
        except refunds.RefundError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Refund {refund.id}: {refund.amount} {refund.currency} of {refund.order_id} "
            f"({refund.refunded_total} of {refund.order.amount} refunded)."
        )
        self._report_sent_or_pending(delivered)

    def _delivering(self, work: Callable[[], T]) -> tuple[T, list[Any] | None]:
        """Run ``work``; in "background" mode send its webhooks before the command returns.

        The background sender is a daemon thread of this process, which exits with the
        command: without this, the deliveries would stay pending. Returns ``work``'s result
        and the deliveries sent (None when delivery is not this command's job).
        """
        if emulator_settings.WEBHOOK_DELIVERY != "background" or not emulator_settings.WEBHOOK_URL:
            return work(), None
        with sender.held():
            result = work()
        return result, sender.deliver_pending()

    def _report_sent(self, sent: list[Any] | None) -> None:
        if sent is not None:
            self._report(sent)
            self.stdout.write(f"{len(sent)} webhook deliveries sent.")

    def _report_sent_or_pending(self, sent: list[Any] | None) -> None:
        """Report what was sent; in "manual" mode, say how to send what is pending."""
        self._report_sent(sent)
        if emulator_settings.WEBHOOK_DELIVERY == "manual":
            self.stdout.write("Run 'recur_emulator deliver' to send the webhooks.")

    def _report(self, sent: list[Any]) -> None:
        for delivery in sent:
            attempt = sender.last_attempt(delivery)
            outcome = "no attempt"
            if attempt is not None:
                outcome = f"HTTP {attempt.status_code}" if attempt.status_code else attempt.error
            self.stdout.write(
                f"{delivery.event.type} {delivery.event.event_id}: {outcome} ({delivery.status})"
            )
        refused: dict[str, list[Any]] = {}
        for delivery in sent:
            if delivery.status != WebhookDelivery.Status.SUCCEEDED:
                hint = sender.refusal_hint(sender.last_attempt(delivery))
                refused.setdefault(hint, []).append(delivery)
        for hint, deliveries in refused.items():
            urls = ", ".join(sorted({d.url for d in deliveries}))
            self.stdout.write(
                self.style.WARNING(
                    f"{len(deliveries)} of {len(sent)} not accepted by {urls}. {hint} They "
                    "stay pending; 'recur_emulator deliver' sends them again."
                )
            )
