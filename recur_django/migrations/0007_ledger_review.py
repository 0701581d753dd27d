"""Ledger review: Payment/Refund.review_reason; Transaction.family_key and the one open
subscription checkout per owner and plan family (recur_txn_one_open_family).

The constraint names Transaction.owner, added by 0005_billing_owner (which depends on the
owner model, RECUR["OWNER_MODEL"]). The new columns have database defaults, so rows written
by code that does not know them yet (a rolling deploy) still insert.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0006_promotion_codes_credits_ended_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='review_reason',
            field=models.TextField(blank=True, db_default='', default='', help_text='Why this payment needs a look (blank when all is well).', verbose_name='review reason'),
        ),
        migrations.AddField(
            model_name='refund',
            name='review_reason',
            field=models.TextField(blank=True, db_default='', default='', help_text='Why this refund was not applied to its payment (blank when it was).', verbose_name='review reason'),
        ),
        migrations.AddField(
            model_name='transaction',
            name='family_key',
            field=models.CharField(blank=True, db_default='', default='', max_length=255, verbose_name='product family'),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending'), models.Q(('family_key', ''), _negated=True)), fields=('owner', 'family_key'), name='recur_txn_one_open_family'),
        ),
    ]
