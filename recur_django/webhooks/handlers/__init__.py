"""Importing this package registers every built-in handler."""

from recur_django.webhooks.handlers import (  # noqa: F401
    checkout,
    credits,
    payments,
    products,
    subscriptions,
)
