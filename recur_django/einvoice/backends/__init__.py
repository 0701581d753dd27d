"""E-invoice provider backends: one interface (:mod:`.base`), one module per provider.

The package imports nothing: :mod:`.base`, :mod:`.ecpay_wire` and :mod:`.ezpay_wire` are
Django-free and load on their own.
"""
