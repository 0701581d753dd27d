"""Signals sent by recur_django. Every receiver runs after the database commit.

- ``webhook_received(sender, event)``: a verified delivery was stored (``event`` is a
  :class:`~recur_django.models.WebhookEvent`).
- ``transaction_completed(sender, transaction, event, source)``: a payment was fulfilled,
  exactly once per transaction; ``event`` is the WebhookEvent or ``None`` (return page);
  ``source`` is ``"webhook"``, ``"return_page"`` or what a direct ``fulfil()`` call passed.
- ``transaction_failed(sender, transaction, reason, event, source)``: a checkout failed,
  was canceled or expired (``transaction.status`` says which); ``source`` is
  ``"webhook"``, ``"return_page"``, ``"checkout"`` (the API refused to start it) or
  ``"expire"`` (``recur_expire``). A failed transaction can still complete later if
  the buyer retries on the same hosted page.
- ``subscription_changed(sender, subscription, previous_status, event)``: the local
  mirror of a subscription changed.
"""

from __future__ import annotations

from django.dispatch import Signal

webhook_received = Signal()
transaction_completed = Signal()
transaction_failed = Signal()
subscription_changed = Signal()
