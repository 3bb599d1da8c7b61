"""Process proxies: a viewflow process points at its domain record (``artifact``), nothing more."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from projects.models import Case, Municipality


class CaseProcess(Process):
    class Meta:
        proxy = True
        verbose_name = _("IKZ-Vorgangsablauf")
        verbose_name_plural = _("IKZ-Vorgangsabläufe")

    @property
    def case(self) -> Case:
        cached = getattr(self, "_case_cache", None)
        if cached is None or cached.pk != self.artifact_object_id:
            cached = Case.objects.select_related("county").get(pk=self.artifact_object_id)
            self._case_cache = cached
        return cached

    def anchor_municipality(self) -> Municipality:
        return Municipality.objects.get(county_id=self.case.county_id, kind=Municipality.Kind.LANDKREIS)
