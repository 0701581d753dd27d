"""Django admin for recur_django; one module per model."""

from recur_django.admin import (  # noqa: F401
    credit_transaction,
    customer,
    einvoice,
    invoice_preference,
    overview,
    payment,
    payment_link,
    promotion_code,
    read_only,
    subscription,
    transaction,
    webhook_event,
)
