from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0004_billingoverview'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending'), models.Q(('family_key', ''), _negated=True)), fields=('user', 'family_key'), name='recur_txn_one_open_family'),
        ),
    ]
