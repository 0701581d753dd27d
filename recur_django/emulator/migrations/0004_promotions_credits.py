import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_emulator', '0003_einvoices'),
    ]

    operations = [
        migrations.CreateModel(
            name='Coupon',
            fields=[
                ('id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('name', models.CharField(blank=True, default='', max_length=200, verbose_name='name')),
                ('discount_type', models.CharField(choices=[('FIXED_AMOUNT', 'Fixed amount off'), ('PERCENTAGE', 'Percentage off'), ('FIRST_PERIOD_PRICE', 'First-period price')], max_length=20, verbose_name='discount type')),
                ('amount_off', models.PositiveIntegerField(blank=True, help_text='Whole TWD (fixed amount).', null=True, verbose_name='amount off')),
                ('percent_off', models.PositiveSmallIntegerField(blank=True, help_text='1 to 100 (percentage).', null=True, verbose_name='percent off')),
                ('first_period_price', models.PositiveIntegerField(blank=True, help_text='Whole TWD.', null=True, verbose_name='first-period price')),
                ('duration', models.CharField(choices=[('ONCE', 'Once'), ('REPEATING', 'Several periods'), ('FOREVER', 'Forever')], default='ONCE', max_length=20, verbose_name='duration')),
                ('duration_periods', models.PositiveSmallIntegerField(blank=True, help_text='How many periods (several periods).', null=True, verbose_name='periods')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'coupon',
                'verbose_name_plural': 'coupons',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='checkoutsession',
            name='discount_amount',
            field=models.PositiveIntegerField(default=0, verbose_name='discount'),
        ),
        migrations.AddField(
            model_name='customer',
            name='credit_balance',
            field=models.PositiveIntegerField(default=0, verbose_name='credit balance'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='discount_amount',
            field=models.PositiveIntegerField(default=0, verbose_name='discount'),
        ),
        migrations.AddField(
            model_name='order',
            name='discount_amount',
            field=models.PositiveIntegerField(default=0, verbose_name='discount'),
        ),
        migrations.AddField(
            model_name='product',
            name='credits',
            field=models.PositiveIntegerField(blank=True, help_text='Credits a purchase grants (CREDITS products; default: the price).', null=True, verbose_name='credits'),
        ),
        migrations.AddField(
            model_name='subscription',
            name='coupon_remaining_cycles',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Empty: forever.', null=True, verbose_name='discounted renewals left'),
        ),
        migrations.AddField(
            model_name='subscription',
            name='coupon',
            field=models.ForeignKey(blank=True, help_text='A discount that still applies to coming renewals.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='subscriptions', to='recur_emulator.coupon'),
        ),
        migrations.CreateModel(
            name='PromotionCode',
            fields=[
                ('id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('code', models.CharField(db_index=True, max_length=20, verbose_name='code')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('valid_from', models.DateTimeField(blank=True, null=True, verbose_name='valid from')),
                ('valid_until', models.DateTimeField(blank=True, null=True, verbose_name='valid until')),
                ('max_redemptions', models.PositiveIntegerField(blank=True, null=True, verbose_name='max redemptions')),
                ('max_redemptions_per_customer', models.PositiveIntegerField(blank=True, default=1, null=True, verbose_name='max redemptions per customer')),
                ('minimum_amount', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum amount')),
                ('customer_eligibility', models.CharField(choices=[('ALL', 'All customers'), ('NEW_CUSTOMERS', 'New customers'), ('EXISTING_CUSTOMERS', 'Existing customers')], default='ALL', max_length=20, verbose_name='customer eligibility')),
                ('restricted_to_customer_id', models.CharField(blank=True, max_length=64, null=True)),
                ('metadata', models.JSONField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('coupon', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='promotion_codes', to='recur_emulator.coupon')),
            ],
            options={
                'verbose_name': 'promotion code',
                'verbose_name_plural': 'promotion codes',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='checkoutsession',
            name='promotion',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='checkout_sessions', to='recur_emulator.promotioncode', verbose_name='applied promotion code'),
        ),
        migrations.CreateModel(
            name='Redemption',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('discount_amount', models.PositiveIntegerField(verbose_name='discount')),
                ('created_at', models.DateTimeField()),
                ('checkout_session', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='redemption', to='recur_emulator.checkoutsession')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='redemptions', to='recur_emulator.customer')),
                ('promotion_code', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='redemptions', to='recur_emulator.promotioncode')),
            ],
            options={
                'verbose_name': 'redemption',
                'verbose_name_plural': 'redemptions',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CreditTransaction',
            fields=[
                ('id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('type', models.CharField(choices=[('PURCHASE', 'Purchase'), ('DEDUCTION', 'Deduction')], max_length=20, verbose_name='type')),
                ('amount', models.PositiveIntegerField(verbose_name='credits')),
                ('balance_after', models.PositiveIntegerField(verbose_name='balance after')),
                ('description', models.CharField(blank=True, default='', max_length=500, verbose_name='description')),
                ('idempotency_key', models.CharField(blank=True, max_length=255, null=True)),
                ('created_at', models.DateTimeField()),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='credit_transactions', to='recur_emulator.customer')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='recur_emulator.order')),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='recur_emulator.product')),
            ],
            options={
                'verbose_name': 'credit transaction',
                'verbose_name_plural': 'credit transactions',
                'ordering': ['-created_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('customer', 'idempotency_key'), name='recur_emulator_credit_key_unique')],
            },
        ),
    ]
