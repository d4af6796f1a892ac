"""Let Solutions Architects read the anonymisation run reports in the admin."""

from django.db import migrations


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Solutions Architects")
    content_type, _ = ContentType.objects.get_or_create(app_label="privacy", model="anonymisationrun")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_anonymisationrun", defaults={"name": "Can view anonymisation run"}
    )
    group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("workshops", "0002_staff_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
