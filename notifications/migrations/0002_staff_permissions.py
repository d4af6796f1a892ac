"""Let Solutions Architects read the outbox and manage suppressed addresses."""

from django.db import migrations

GRANTS = [("outboundemail", ("view",)), ("suppressedaddress", ("view", "add", "delete"))]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Solutions Architects")
    for model, actions in GRANTS:
        content_type, _ = ContentType.objects.get_or_create(app_label="notifications", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {model}"}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("workshops", "0002_staff_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
