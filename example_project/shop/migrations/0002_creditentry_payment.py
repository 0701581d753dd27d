import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recur_django", "0002_payment_refund"),
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditentry",
            name="payment",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_entry",
                to="recur_django.payment",
            ),
        ),
    ]
