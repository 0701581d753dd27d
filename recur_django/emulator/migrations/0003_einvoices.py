import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_emulator', '0002_billing_ledger'),
    ]

    operations = [
        migrations.CreateModel(
            name='InvoiceTrack',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(max_length=8, unique=True, verbose_name='period')),
                ('prefix', models.CharField(max_length=2, verbose_name='prefix')),
                ('next_number', models.PositiveIntegerField(verbose_name='next number')),
            ],
            options={
                'verbose_name': 'invoice number track',
                'verbose_name_plural': 'invoice number tracks',
            },
        ),
        migrations.CreateModel(
            name='UniformInvoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('merchant_id', models.CharField(max_length=10, verbose_name='merchant id')),
                ('number', models.CharField(max_length=10, unique=True, verbose_name='invoice number')),
                ('relate_number', models.CharField(max_length=50, verbose_name='relate number')),
                ('random_number', models.CharField(max_length=4, verbose_name='random number')),
                ('period', models.CharField(help_text='Year and months of its VAT period: 20260102.', max_length=8, verbose_name='period')),
                ('issued_at', models.DateTimeField(verbose_name='issued at')),
                ('sales_amount', models.PositiveIntegerField(help_text='Tax-inclusive; before tax on a B2B invoice.', verbose_name='sales amount')),
                ('tax_amount', models.PositiveIntegerField(default=0, verbose_name='tax amount')),
                ('total_amount', models.PositiveIntegerField(verbose_name='total amount')),
                ('remaining_allowance', models.PositiveIntegerField(verbose_name='remaining allowance')),
                ('customer_identifier', models.CharField(blank=True, default='', max_length=8, verbose_name='UBN')),
                ('customer_name', models.CharField(blank=True, default='', max_length=60, verbose_name='customer name')),
                ('customer_address', models.CharField(blank=True, default='', max_length=100, verbose_name='customer address')),
                ('customer_email', models.CharField(blank=True, default='', max_length=200, verbose_name='customer e-mail')),
                ('printed', models.BooleanField(default=False, verbose_name='printed')),
                ('donated', models.BooleanField(default=False, verbose_name='donated')),
                ('love_code', models.CharField(blank=True, default='', max_length=7, verbose_name='love code')),
                ('carrier_type', models.CharField(blank=True, default='', max_length=1, verbose_name='carrier type')),
                ('carrier_number', models.CharField(blank=True, default='', max_length=64, verbose_name='carrier number')),
                ('items', models.JSONField(default=list, verbose_name='items')),
                ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='voided at')),
                ('void_reason', models.CharField(blank=True, default='', max_length=20, verbose_name='void reason')),
            ],
            options={
                'verbose_name': 'uniform invoice',
                'verbose_name_plural': 'uniform invoices',
                'ordering': ['-issued_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('merchant_id', 'relate_number'), name='recur_emulator_einvoice_relate')],
            },
        ),
        migrations.CreateModel(
            name='InvoiceAllowance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=16, unique=True, verbose_name='allowance number')),
                ('amount', models.PositiveIntegerField(verbose_name='amount')),
                ('issued_at', models.DateTimeField(verbose_name='issued at')),
                ('notify', models.CharField(default='N', max_length=1, verbose_name='notify')),
                ('notify_email', models.CharField(blank=True, default='', max_length=200, verbose_name='notify e-mail')),
                ('customer_name', models.CharField(blank=True, default='', max_length=60, verbose_name='customer name')),
                ('items', models.JSONField(default=list, verbose_name='items')),
                ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='voided at')),
                ('void_reason', models.CharField(blank=True, default='', max_length=20, verbose_name='void reason')),
                ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='allowances', to='recur_emulator.uniforminvoice')),
            ],
            options={
                'verbose_name': 'invoice allowance',
                'verbose_name_plural': 'invoice allowances',
                'ordering': ['-issued_at', '-id'],
            },
        ),
    ]
