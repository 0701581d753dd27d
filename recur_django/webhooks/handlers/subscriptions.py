"""Handlers for subscription.* and invoice.* events."""
