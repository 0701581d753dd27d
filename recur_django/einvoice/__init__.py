"""Taiwan uniform invoices (統一發票): validators, the buyer's choice, provider backends.

The package root imports nothing, so the emulator can load the Django-free wire codec
(:mod:`recur_django.einvoice.backends.ecpay_wire`) without the rest. Start with
:mod:`recur_django.einvoice.choice` (what the buyer chose), :mod:`.validators`,
:mod:`.backends.base` (the provider interface) and :mod:`.factory` (the configured
backend). The guide is ``docs/einvoice.md``.
"""
