"""The emulator's state: what a real Recur account would hold."""

from recur_django.emulator.models.billing import Order, Subscription
from recur_django.emulator.models.catalog import Product
from recur_django.emulator.models.checkout import CheckoutSession, PaymentLink, PortalSession
from recur_django.emulator.models.control import ClockState, Fault, IdempotencyRecord
from recur_django.emulator.models.customers import Customer
from recur_django.emulator.models.einvoices import InvoiceAllowance, InvoiceTrack, UniformInvoice
from recur_django.emulator.models.events import DeliveryAttempt, Event, WebhookDelivery
from recur_django.emulator.models.invoices import Invoice, Refund

__all__ = [
    "CheckoutSession",
    "ClockState",
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
    "Refund",
    "Subscription",
    "UniformInvoice",
    "WebhookDelivery",
]
