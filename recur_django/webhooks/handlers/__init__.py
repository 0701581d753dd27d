"""Importing this package registers every built-in handler."""

from recur_django.webhooks.handlers import checkout, subscriptions  # noqa: F401
