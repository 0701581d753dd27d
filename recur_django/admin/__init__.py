"""Django admin for recur_django; one module per model."""

from recur_django.admin import payment_link  # noqa: F401
