"""Importing this package registers every built-in handler."""

from recur_django.webhooks.handlers import checkout, payments, subscriptions  # noqa: F401
