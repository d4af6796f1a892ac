"""Let Solutions Architects read cleanup runs, their targets and items in the admin."""

from django.db import migrations

MODELS = ("cleanuprun", "cleanuptarget", "cleanupitem")


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Solutions Architects")
    for model in MODELS:
        content_type, _ = ContentType.objects.get_or_create(app_label="cleaner", model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"view_{model}", defaults={"name": f"Can view {model}"}
        )
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("cleaner", "0001_initial"), ("workshops", "0002_staff_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
