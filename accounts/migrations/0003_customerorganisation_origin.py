"""Who made each customer organisation: typed by a customer on their profile, or created by staff.

Existing organisations are backfilled from the admin's own log: the admin (where AMs and SAs add
organisations) writes an "added" entry for every one it creates, and the profile page (where a
customer types a name no organisation has yet) writes none. No entry: typed by its first member.
"""

from django.db import migrations, models

ADDITION = 1  # django.contrib.admin.models.ADDITION


def backfill(apps, schema_editor):
    CustomerOrganisation = apps.get_model("accounts", "CustomerOrganisation")
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    content_type = ContentType.objects.filter(app_label="accounts", model="customerorganisation").first()
    if content_type is None:
        return  # a fresh database: nothing was ever added
    added = LogEntry.objects.filter(content_type=content_type, action_flag=ADDITION).values_list("object_id", flat=True)
    ids = {int(object_id) for object_id in added if object_id and object_id.isdigit()}
    CustomerOrganisation.objects.filter(pk__in=ids).update(origin="staff")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_privacy_consent"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerorganisation",
            name="origin",
            field=models.CharField(
                choices=[("typed", "typed by its first member"), ("staff", "created by staff")],
                default="typed",
                editable=False,
                max_length=8,
                verbose_name="origin",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
