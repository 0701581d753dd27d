from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0003_webhookevent_retryable'),
    ]

    operations = [
        migrations.CreateModel(
            name='BillingOverview',
            fields=[
            ],
            options={
                'verbose_name': 'billing overview',
                'verbose_name_plural': 'billing overview',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('recur_django.payment',),
        ),
    ]
