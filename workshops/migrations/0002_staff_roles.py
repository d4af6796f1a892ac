"""Create the staff roles as groups with their model permissions.

Row-level limits (an AM sees only their own customers and published workshops) are applied on
top of these by querysets. The table is frozen here, as migrations must be.
"""

from django.db import migrations

ROLES = {
    "Solutions Architects": [
        ("accounts", "user", ("view", "add", "change")),
        ("accounts", "customerorganisation", ("view", "add", "change", "delete")),
        ("workshops", "topic", ("view", "add", "change", "delete")),
        ("workshops", "workshop", ("view", "add", "change", "move_stage")),
        ("workshops", "stagechange", ("view",)),
        ("workshops", "sandboxaccount", ("view", "change")),
        ("django_celery_beat", "periodictask", ("view",)),
    ],
    "Account Managers": [
        ("accounts", "user", ("view",)),
        ("accounts", "customerorganisation", ("view", "add", "change")),
        ("workshops", "topic", ("view",)),
        ("workshops", "workshop", ("view",)),
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); the groups need them now,
    # and post_migrate finds these and leaves them be.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in grants:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            for action in actions:
                label = "move stage of" if action == "move_stage" else action
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{model}" if action != "move_stage" else "move_stage",
                    defaults={"name": f"Can {label} {model}"},
                )
                group.permissions.add(permission)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workshops", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
