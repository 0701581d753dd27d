import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0005_billing_owner'),
    ]

    operations = [
        migrations.CreateModel(
            name='PromotionCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recur_id', models.CharField(max_length=64, unique=True, verbose_name='Recur id')),
                ('code', models.CharField(db_index=True, max_length=20, verbose_name='code')),
                ('coupon_id', models.CharField(db_index=True, max_length=64, verbose_name='coupon id')),
                ('coupon', models.JSONField(blank=True, default=dict, verbose_name='coupon')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('valid_from', models.DateTimeField(blank=True, null=True, verbose_name='valid from')),
                ('valid_until', models.DateTimeField(blank=True, null=True, verbose_name='valid until')),
                ('max_redemptions', models.PositiveIntegerField(blank=True, null=True, verbose_name='max redemptions')),
                ('max_redemptions_per_customer', models.PositiveIntegerField(blank=True, default=1, null=True, verbose_name='max redemptions per customer')),
                ('minimum_amount', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='minimum amount')),
                ('customer_eligibility', models.CharField(choices=[('ALL', 'All customers'), ('NEW_CUSTOMERS', 'New customers'), ('EXISTING_CUSTOMERS', 'Existing customers')], default='ALL', max_length=20, verbose_name='customer eligibility')),
                ('restricted_to_customer_id', models.CharField(blank=True, max_length=64, verbose_name='restricted to customer')),
                ('current_redemptions', models.PositiveIntegerField(default=0, verbose_name='redemptions')),
                ('metadata', models.JSONField(blank=True, default=dict, verbose_name='metadata')),
                ('created_at', models.DateTimeField(blank=True, null=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(blank=True, null=True, verbose_name='updated at')),
                ('synced_at', models.DateTimeField(blank=True, null=True, verbose_name='synced at')),
                ('missing_from_recur', models.BooleanField(default=False, help_text='Set when the last full sync did not see this code on Recur.', verbose_name='missing from Recur')),
            ],
            options={
                'verbose_name': 'promotion code',
                'verbose_name_plural': 'promotion codes',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='subscription',
            name='ended_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ended at'),
        ),
        migrations.CreateModel(
            name='CreditTransaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recur_id', models.CharField(max_length=64, unique=True, verbose_name='Recur id')),
                ('kind', models.CharField(choices=[('purchase', 'Purchase'), ('deduction', 'Deduction')], max_length=16, verbose_name='kind')),
                ('amount', models.PositiveBigIntegerField(verbose_name='credits')),
                ('balance_after', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='balance after')),
                ('description', models.CharField(blank=True, max_length=500, verbose_name='description')),
                ('order_id', models.CharField(blank=True, db_index=True, max_length=128, verbose_name='order id')),
                ('product_id', models.CharField(blank=True, max_length=128, verbose_name='product id')),
                ('occurred_at', models.DateTimeField(blank=True, null=True, verbose_name='occurred at')),
                ('raw', models.JSONField(blank=True, default=dict, verbose_name='raw data')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='credit_transactions', to='recur_django.customer', verbose_name='customer')),
            ],
            options={
                'verbose_name': 'credit transaction',
                'verbose_name_plural': 'credit transactions',
                'ordering': ['-occurred_at', '-id'],
                'indexes': [models.Index(fields=['customer', '-occurred_at'], name='recur_credit_customer_time')],
            },
        ),
    ]
