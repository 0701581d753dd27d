"""Billing owners: Customer.owner replaces Customer.user; Transaction.owner and Payment.owner.

The owner model is RECUR["OWNER_MODEL"] (default AUTH_USER_MODEL), read here the way the
user model is read for AUTH_USER_MODEL: the fields point at whatever the setting names when
the migration runs, so `makemigrations --check` stays clean whatever it is. With the default,
every existing link is kept: owner = the user that `user` named (customers, transactions,
payments). With another owner model there is nothing to copy: owners start empty.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F

from recur_django.owners import owner_model_label

OWNER_MODEL = owner_model_label()


def _owner_is_user(apps):
    owner = apps.get_model(OWNER_MODEL)
    user = apps.get_model(settings.AUTH_USER_MODEL)
    return owner._meta.label_lower == user._meta.label_lower


def link_owners(apps, schema_editor):
    """owner = user on every customer, transaction and payment (default owner model only)."""
    if not _owner_is_user(apps):
        return
    for name in ("Customer", "Transaction", "Payment"):
        model = apps.get_model("recur_django", name)
        model.objects.filter(user__isnull=False).update(owner=F("user"))


def unlink_owners(apps, schema_editor):
    """Back to Customer.user (default owner model only; Transaction/Payment.user stayed)."""
    if not _owner_is_user(apps):
        return
    Customer = apps.get_model("recur_django", "Customer")
    Customer.objects.filter(owner__isnull=False).update(user=F("owner"))


class Migration(migrations.Migration):

    dependencies = [
        ("recur_django", "0004_billingoverview"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(OWNER_MODEL),
    ]

    operations = [
        # The old link stops claiming user.recur_customer while both fields exist.
        migrations.AlterField(
            model_name="customer",
            name="user",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="owner",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="recur_customer",
                to=OWNER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AddField(
            model_name="transaction",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="recur_billed_transactions",
                to=OWNER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="recur_billed_payments",
                to=OWNER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.RunPython(link_owners, unlink_owners, elidable=False),
        migrations.RemoveField(model_name="customer", name="user"),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["owner", "-created_at"], name="recur_txn_owner_created"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["owner", "-created_at"], name="recur_pay_owner_created"),
        ),
    ]
