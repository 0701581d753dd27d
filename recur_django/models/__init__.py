"""Models of recur_django; one module per concept."""

from recur_django.models.credit_transaction import CreditTransaction
from recur_django.models.customer import Customer
from recur_django.models.einvoice import EInvoice, EInvoiceAllowance, InvoicePreference
from recur_django.models.overview import BillingOverview
from recur_django.models.payment import Payment, Refund
from recur_django.models.payment_link import PaymentLink
from recur_django.models.promotion_code import PromotionCode
from recur_django.models.subscription import Subscription
from recur_django.models.transaction import Transaction
from recur_django.models.webhook_event import WebhookEvent

__all__ = [
    "BillingOverview",
    "CreditTransaction",
    "Customer",
    "EInvoice",
    "EInvoiceAllowance",
    "InvoicePreference",
    "Payment",
    "PaymentLink",
    "PromotionCode",
    "Refund",
    "Subscription",
    "Transaction",
    "WebhookEvent",
]
