"""WebhookEvent.retryable is stored instead of derived from a saved traceback."""

from django.db import migrations, models


def mark_retryable(apps, schema_editor):
    # Before this field, "retryable" meant a failed event with a traceback saved.
    WebhookEvent = apps.get_model("recur_django", "WebhookEvent")
    WebhookEvent.objects.filter(status="failed").exclude(traceback="").update(retryable=True)


class Migration(migrations.Migration):
    dependencies = [("recur_django", "0002_payment_refund")]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="retryable",
            field=models.BooleanField(
                default=False,
                help_text="A failure from an unexpected error: a redelivery applies it again.",
                verbose_name="retryable",
            ),
        ),
        migrations.RunPython(mark_retryable, migrations.RunPython.noop),
    ]
