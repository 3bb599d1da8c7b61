from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Abläufe"

    def ready(self):
        from viewflow.workflow.models import Task

        from workflows.lookups import AnyOf

        # the inbox's capability condition (workflows.selectors.claimable_condition): one array parameter each
        for name in ("owner_permission", "owner_permission_obj_pk"):
            Task._meta.get_field(name).register_lookup(AnyOf)
