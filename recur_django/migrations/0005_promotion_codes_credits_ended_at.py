from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recur_django', '0004_billingoverview'),
    ]

    operations = [
        migrations.AddField(
            model_name='subscription',
            name='ended_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ended at'),
        ),
    ]
