"""The emulator's state: what a real Recur account would hold."""

from recur_django.emulator.models.billing import Order, Subscription
from recur_django.emulator.models.catalog import Product
from recur_django.emulator.models.checkout import CheckoutSession, PaymentLink, PortalSession
from recur_django.emulator.models.control import ClockState, Fault, IdempotencyRecord
from recur_django.emulator.models.credits import CreditTransaction
from recur_django.emulator.models.customers import Customer
from recur_django.emulator.models.einvoices import InvoiceAllowance, InvoiceTrack, UniformInvoice
from recur_django.emulator.models.events import DeliveryAttempt, Event, WebhookDelivery
from recur_django.emulator.models.invoices import Invoice, Refund
from recur_django.emulator.models.promotions import Coupon, PromotionCode, Redemption

__all__ = [
    "CheckoutSession",
    "ClockState",
    "Coupon",
    "CreditTransaction",
    "Customer",
    "DeliveryAttempt",
    "Event",
    "Fault",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceAllowance",
    "InvoiceTrack",
    "Order",
    "PaymentLink",
    "PortalSession",
    "Product",
    "PromotionCode",
    "Redemption",
    "Refund",
    "Subscription",
    "UniformInvoice",
    "WebhookDelivery",
]
