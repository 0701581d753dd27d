"""Handlers for checkout.* and order.* events."""
