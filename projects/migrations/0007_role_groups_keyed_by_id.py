"""Role groups are keyed by the organisation's id and the role, no longer by its display name.

Until now a role group was called "<municipality name> – <role label>" and found by that name, so two
municipalities of the same name (two "Ronneburg" in two counties) shared one group and each mayor held the other's
capabilities. This migration builds the keyed group of every membership ("municipality:<id>:<role>",
"institution:<id>:<role>", see ``projects.services.organisation.role_group_name``) with the role's capabilities on
the role's municipalities, moves the members over and deletes the old name-keyed groups (their guardian rows go with
them, including the capabilities a homonym shared by mistake). Groups with other names are left alone.
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

MUNICIPAL_ROLES = {"mayor", "clerk"}

# The role labels the old group names were built from (German, and English for grants made in English).
OLD_LABELS = {
    "mayor": ("Bürgermeister/in", "Mayor"),
    "clerk": ("Sachbearbeiter/in", "Clerk"),
    "project_manager": ("DKZ-Projektmanagement", "DKZ project management"),
    "procurement": ("DKZ-Vergabezentrum", "DKZ procurement centre"),
    "funding": ("DKZ-Fördermittel", "DKZ funding"),
    "controlling": ("DKZ-Controlling", "DKZ controlling"),
    "board": ("DKZ-Vorstand", "DKZ board"),
    "supervisor": ("Aufsichtsbehörde", "Supervisory authority"),
}

# The capabilities of each role when this migration was written (projects/roles.py).
ROLE_CAPABILITIES = {
    "mayor": (
        "view_municipality_records",
        "propose_case",
        "approve_project_order",
        "record_council_resolution",
        "consent_statute_amendment",
        "sign_agreement",
        "decide_award",
        "agree_planning_talk",
        "request_procurement",
    ),
    "clerk": (
        "view_municipality_records",
        "propose_case",
        "record_council_resolution",
        "declare_interest",
        "request_procurement",
        "write_specification",
        "evaluate_offers",
    ),
    "project_manager": ("view_municipality_records", "manage_case", "manage_screening"),
    "procurement": ("view_municipality_records", "run_procurement"),
    "funding": ("view_municipality_records", "manage_funding"),
    "controlling": ("view_municipality_records", "control_costs"),
    "board": ("view_municipality_records",),
    "supervisor": ("supervise",),
}


def rekey_role_groups(apps, schema_editor):
    Membership = apps.get_model("projects", "Membership")
    if not Membership.objects.exists():
        return
    from django.apps import apps as global_apps

    create_permissions(global_apps.get_app_config("projects"), verbosity=0, apps=apps)
    Municipality = apps.get_model("projects", "Municipality")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    UserGroups = apps.get_model(settings.AUTH_USER_MODEL).groups.through

    content_type = ContentType.objects.get(app_label="projects", model="municipality")
    permissions = {p.codename: p for p in Permission.objects.filter(content_type=content_type)}
    old_names: set[str] = set()
    for membership in Membership.objects.select_related("municipality", "institution"):
        owner = membership.municipality or membership.institution
        old_names.update(f"{owner.name} – {label}" for label in OLD_LABELS.get(membership.role, ()))
        if membership.municipality_id is not None:
            key = f"municipality:{membership.municipality_id}:{membership.role}"
            targets = [membership.municipality_id] if membership.role in MUNICIPAL_ROLES else []
        else:
            key = f"institution:{membership.institution_id}:{membership.role}"
            targets = list(
                Municipality.objects.filter(county__in=membership.institution.counties.all()).values_list(
                    "pk", flat=True
                )
            )
        group, _ = Group.objects.get_or_create(name=key)
        for codename in ROLE_CAPABILITIES.get(membership.role, ()):
            permission = permissions.get(codename)
            if permission is None:
                continue
            for pk in targets:
                GroupObjectPermission.objects.get_or_create(
                    group=group, permission=permission, content_type=content_type, object_pk=str(pk)
                )
        UserGroups.objects.get_or_create(user_id=membership.user_id, group_id=group.pk)
    Group.objects.filter(name__in=old_names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_auditentry_immutable"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(rekey_role_groups, migrations.RunPython.noop)]
