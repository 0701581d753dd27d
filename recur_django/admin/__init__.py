"""Django admin for recur_django; one module per model."""

from recur_django.admin import customer, payment_link, transaction, webhook_event  # noqa: F401
