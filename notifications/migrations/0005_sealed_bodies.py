"""Bodies of emails that carry someone's key move into a sealed column (notifications.sealing)."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    # The live modules on purpose: a seal must open with the key the sender derives today.
    from notifications.models import KEY_KINDS
    from notifications.sealing import body_fields

    OutboundEmail = apps.get_model("notifications", "OutboundEmail")
    readable = OutboundEmail.objects.filter(kind__in=KEY_KINDS).exclude(body_text="", body_html="")
    for email in readable.only("pk", "kind", "body_text", "body_html").iterator():
        fields = body_fields(kind=email.kind, body_text=email.body_text, body_html=email.body_html)
        OutboundEmail.objects.filter(pk=email.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_account_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="sealed_bodies",
            field=models.TextField(blank=True, editable=False, verbose_name="sealed bodies"),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["provider_message_id"], name="outbox_provider_id_idx"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
