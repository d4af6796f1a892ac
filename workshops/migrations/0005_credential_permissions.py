"""Let Solutions Architects read credentials' status and the audit of who viewed them."""

from django.db import migrations

GRANTS = [("credential", ("view",)), ("credentialview", ("view",)), ("registration", ("view",))]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Solutions Architects")
    for model, actions in GRANTS:
        content_type, _ = ContentType.objects.get_or_create(app_label="workshops", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {model}"}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("workshops", "0004_credentials")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
