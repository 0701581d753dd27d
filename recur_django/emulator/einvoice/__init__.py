"""An ECPay-compatible B2C e-invoice endpoint (rev 3.0) for the demo and the tests.

``POST <mount>/einvoice/B2CInvoice/<Operation>``: the same AES wire as ECPay, decrypted
with the merchant's HashKey/HashIV from ``RECUR_EMULATOR["EINVOICE_MERCHANTS"]``. Its
invoices, voids and allowances live in the emulator's tables and admin.
"""
