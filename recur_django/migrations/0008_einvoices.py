"""Taiwan e-invoices: EInvoice, EInvoiceAllowance, InvoicePreference, Transaction.invoice_choice.

InvoicePreference.owner points at the owner model, RECUR["OWNER_MODEL"] (default
AUTH_USER_MODEL), read here the way 0005_billing_owner reads it.
Transaction.invoice_choice has a database default ({}) so rows inserted by SQL need no value.
"""

import django.db.models.deletion
from django.db import migrations, models

from recur_django.owners import owner_model_label

OWNER_MODEL = owner_model_label()


class Migration(migrations.Migration):
    dependencies = [
        ("recur_django", "0007_ledger_review"),
        migrations.swappable_dependency(OWNER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="invoice_choice",
            field=models.JSONField(
                blank=True, db_default={}, default=dict, verbose_name="invoice choice"
            ),
        ),
        migrations.CreateModel(
            name="EInvoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("member", "Member carrier (by e-mail)"),
                            ("mobile", "Mobile barcode"),
                            ("certificate", "Citizen digital certificate"),
                            ("donation", "Donate to a charity"),
                            ("company", "Company (unified business number)"),
                        ],
                        default="member",
                        max_length=16,
                        verbose_name="invoice kind",
                    ),
                ),
                (
                    "carrier",
                    models.CharField(
                        blank=True,
                        help_text="The mobile barcode or the citizen digital certificate number.",
                        max_length=64,
                        verbose_name="carrier number",
                    ),
                ),
                ("love_code", models.CharField(blank=True, max_length=7, verbose_name="love code")),
                (
                    "ubn",
                    models.CharField(
                        blank=True, max_length=8, verbose_name="unified business number"
                    ),
                ),
                ("title", models.CharField(blank=True, max_length=60, verbose_name="company name")),
                ("address", models.CharField(blank=True, max_length=100, verbose_name="address")),
                (
                    "relate_number",
                    models.CharField(
                        help_text="Our unique reference for this invoice at the provider.",
                        max_length=30,
                        unique=True,
                        verbose_name="relate number",
                    ),
                ),
                ("provider", models.CharField(blank=True, max_length=32, verbose_name="provider")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("issued", "Issued"),
                            ("failed", "Failed"),
                            ("voided", "Voided"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "number",
                    models.CharField(
                        blank=True, db_index=True, max_length=10, verbose_name="invoice number"
                    ),
                ),
                (
                    "random_number",
                    models.CharField(blank=True, max_length=4, verbose_name="random number"),
                ),
                (
                    "issued_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="issued at"),
                ),
                (
                    "amount",
                    models.PositiveBigIntegerField(
                        help_text="Tax included, in TWD.", verbose_name="amount"
                    ),
                ),
                (
                    "sales_amount",
                    models.PositiveBigIntegerField(default=0, verbose_name="sales amount"),
                ),
                (
                    "tax_amount",
                    models.PositiveBigIntegerField(default=0, verbose_name="tax amount"),
                ),
                (
                    "email",
                    models.EmailField(blank=True, max_length=254, verbose_name="buyer e-mail"),
                ),
                ("name", models.CharField(blank=True, max_length=255, verbose_name="buyer name")),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "voided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="voided at"),
                ),
                (
                    "void_reason",
                    models.CharField(blank=True, max_length=255, verbose_name="void reason"),
                ),
                (
                    "issued_signaled",
                    models.BooleanField(default=False, verbose_name="issued signal sent"),
                ),
                (
                    "voided_signaled",
                    models.BooleanField(default=False, verbose_name="voided signal sent"),
                ),
                ("raw", models.JSONField(blank=True, default=dict, verbose_name="provider answer")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "payment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="einvoice",
                        to="recur_django.payment",
                        verbose_name="payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "e-invoice",
                "verbose_name_plural": "e-invoices",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="EInvoiceAllowance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.CharField(
                        blank=True, db_index=True, max_length=32, verbose_name="allowance number"
                    ),
                ),
                (
                    "amount",
                    models.PositiveBigIntegerField(
                        help_text="Tax included, in TWD.", verbose_name="amount"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("issued", "Issued"),
                            ("failed", "Failed"),
                            ("voided", "Voided"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "issued_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="issued at"),
                ),
                (
                    "remaining_before",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="remaining before"
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "voided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="voided at"),
                ),
                (
                    "issued_signaled",
                    models.BooleanField(default=False, verbose_name="issued signal sent"),
                ),
                ("raw", models.JSONField(blank=True, default=dict, verbose_name="provider answer")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "einvoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allowances",
                        to="recur_django.einvoice",
                        verbose_name="e-invoice",
                    ),
                ),
                (
                    "refund",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="einvoice_allowance",
                        to="recur_django.refund",
                        verbose_name="refund",
                    ),
                ),
            ],
            options={
                "verbose_name": "e-invoice allowance",
                "verbose_name_plural": "e-invoice allowances",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="InvoicePreference",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("member", "Member carrier (by e-mail)"),
                            ("mobile", "Mobile barcode"),
                            ("certificate", "Citizen digital certificate"),
                            ("donation", "Donate to a charity"),
                            ("company", "Company (unified business number)"),
                        ],
                        default="member",
                        max_length=16,
                        verbose_name="invoice kind",
                    ),
                ),
                (
                    "carrier",
                    models.CharField(
                        blank=True,
                        help_text="The mobile barcode or the citizen digital certificate number.",
                        max_length=64,
                        verbose_name="carrier number",
                    ),
                ),
                ("love_code", models.CharField(blank=True, max_length=7, verbose_name="love code")),
                (
                    "ubn",
                    models.CharField(
                        blank=True, max_length=8, verbose_name="unified business number"
                    ),
                ),
                ("title", models.CharField(blank=True, max_length=60, verbose_name="company name")),
                ("address", models.CharField(blank=True, max_length=100, verbose_name="address")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "owner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recur_invoice_preference",
                        to=OWNER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice preference",
                "verbose_name_plural": "invoice preferences",
            },
        ),
        migrations.AddIndex(
            model_name="einvoice",
            index=models.Index(fields=["status", "next_attempt_at"], name="recur_einv_status_next"),
        ),
        migrations.AddIndex(
            model_name="einvoice",
            index=models.Index(fields=["issued_at"], name="recur_einv_issued_at"),
        ),
        migrations.AddIndex(
            model_name="einvoiceallowance",
            index=models.Index(
                fields=["status", "next_attempt_at"], name="recur_einv_allow_status"
            ),
        ),
    ]
