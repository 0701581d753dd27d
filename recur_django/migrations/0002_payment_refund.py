import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='subscription',
            name='trial_ending_signaled_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='trial ending signal sent at'),
        ),
        migrations.CreateModel(
            name='Payment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recur_id', models.CharField(max_length=128, unique=True, verbose_name='Recur id')),
                ('order_id', models.CharField(blank=True, max_length=128, null=True, unique=True, verbose_name='order id')),
                ('invoice_id', models.CharField(blank=True, max_length=128, null=True, unique=True, verbose_name='invoice id')),
                ('kind', models.CharField(choices=[('checkout', 'Checkout'), ('renewal', 'Renewal'), ('verification', 'Trial verification'), ('payment_link', 'Payment link'), ('other', 'Other')], default='other', max_length=16, verbose_name='kind')),
                ('status', models.CharField(choices=[('paid', 'Paid'), ('failed', 'Failed'), ('refunded', 'Refunded'), ('partially_refunded', 'Partially refunded')], max_length=20, verbose_name='status')),
                ('amount', models.PositiveBigIntegerField(default=0, verbose_name='amount')),
                ('currency', models.CharField(blank=True, default='TWD', max_length=3, verbose_name='currency')),
                ('refunded_amount', models.PositiveBigIntegerField(default=0, verbose_name='refunded amount')),
                ('reported_refunded_total', models.PositiveBigIntegerField(default=0, verbose_name='refunded total reported by Recur')),
                ('checkout_session_id', models.CharField(blank=True, db_index=True, max_length=128, verbose_name='checkout session id')),
                ('product_id', models.CharField(blank=True, max_length=128, verbose_name='product id')),
                ('billing_reason', models.CharField(blank=True, max_length=64, verbose_name='billing reason')),
                ('failure_reason', models.TextField(blank=True, verbose_name='failure reason')),
                ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='paid at')),
                ('failed_at', models.DateTimeField(blank=True, null=True, verbose_name='failed at')),
                ('success_signaled', models.BooleanField(default=False, verbose_name='success signal sent')),
                ('failure_signaled', models.BooleanField(default=False, verbose_name='failure signal sent')),
                ('refund_signaled_amount', models.PositiveBigIntegerField(default=0, verbose_name='refunded amount announced')),
                ('raw', models.JSONField(blank=True, default=dict, verbose_name='raw data')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='payments', to='recur_django.customer', verbose_name='customer')),
                ('payment_link', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='payments', to='recur_django.paymentlink', verbose_name='payment link')),
                ('subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='payments', to='recur_django.subscription', verbose_name='subscription')),
                ('transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='payments', to='recur_django.transaction', verbose_name='transaction')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='recur_payments', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'payment',
                'verbose_name_plural': 'payments',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Refund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recur_id', models.CharField(max_length=128, unique=True, verbose_name='Recur refund id')),
                ('order_id', models.CharField(blank=True, db_index=True, max_length=128, verbose_name='order id')),
                ('invoice_id', models.CharField(blank=True, db_index=True, max_length=128, verbose_name='invoice id')),
                ('amount', models.PositiveBigIntegerField(default=0, verbose_name='amount')),
                ('currency', models.CharField(blank=True, default='TWD', max_length=3, verbose_name='currency')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('succeeded', 'Succeeded'), ('failed', 'Failed')], default='pending', max_length=16, verbose_name='status')),
                ('signaled', models.BooleanField(default=False, verbose_name='signal sent')),
                ('raw', models.JSONField(blank=True, default=dict, verbose_name='raw data')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('payment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='refunds', to='recur_django.payment', verbose_name='payment')),
            ],
            options={
                'verbose_name': 'refund',
                'verbose_name_plural': 'refunds',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['user', '-created_at'], name='recur_pay_user_created'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['status', 'paid_at'], name='recur_pay_status_paid'),
        ),
    ]
