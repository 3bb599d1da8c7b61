"""Counties (tenants), municipalities, the DKZ and the supervisory authority, people's memberships."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.roles import CAPABILITIES, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class County(models.Model):
    """A Landkreis: the tenant boundary. DKZ staff see their county, never another."""

    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=120)
    ags = models.CharField(_("Kreisschlüssel"), max_length=5, unique=True)
    population = models.PositiveIntegerField(_("Einwohner"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("Stand (Jahr)"), null=True, blank=True)

    class Meta:
        verbose_name = _("Landkreis")
        verbose_name_plural = _("Landkreise")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A town, municipality or the county itself (the county is a member too)."""

    class Kind(models.TextChoices):
        GEMEINDE = "gemeinde", _("Gemeinde")
        STADT = "stadt", _("Stadt")
        LANDKREIS = "landkreis", _("Landkreis")
        KREISFREIE_STADT = "kreisfreie_stadt", _("Kreisfreie Stadt")

    county = models.ForeignKey(
        County,
        verbose_name=_("Landkreis"),
        on_delete=models.PROTECT,
        related_name="municipalities",
        null=True,
        blank=True,
        help_text=_("Leer bei kreisfreien Städten."),
    )
    name = models.CharField(_("Name"), max_length=120)
    slug = models.SlugField(_("Kürzel"), max_length=120, unique=True)
    ags = models.CharField(_("Amtlicher Gemeindeschlüssel"), max_length=8, unique=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.GEMEINDE)
    population = models.PositiveIntegerField(_("Einwohner"), null=True, blank=True)
    population_is_estimate = models.BooleanField(
        _("Einwohnerzahl geschätzt"),
        default=True,
        help_text=_("Vor produktivem Einsatz durch Werte des Statistischen Landesamts ersetzen."),
    )
    staff_count = models.PositiveIntegerField(_("Beschäftigte"), null=True, blank=True)
    left_county_on = models.DateField(_("Aus dem Kreis ausgeschieden am"), null=True, blank=True)
    rp_supervised = models.BooleanField(
        _("Aufsicht durch das Regierungspräsidium"),
        default=False,
        help_text=_(
            "An bei Städten, die das Regierungspräsidium selbst beaufsichtigt (§ 136 HGO, z. B. Städte über "
            "50.000 Einwohner); dann ist es auch für deren Zusammenarbeit zuständig (§ 35 KGG)."
        ),
    )

    class Meta:
        verbose_name = _("Kommune")
        verbose_name_plural = _("Kommunen")
        ordering = ["name"]
        permissions = list(CAPABILITIES)

    def __str__(self) -> str:
        return self.name

    @property
    def council_body(self) -> str:
        """The council that resolves for this member (HGO § 9, HKO § 8): by the kind of the member."""
        return str(COUNCIL_BODIES[self.kind])

    @property
    def council_resolution(self) -> str:
        """ "Beschluss der Gemeindevertretung" / "... der Stadtverordnetenversammlung" / "Beschluss des Kreistags"."""
        return str(COUNCIL_RESOLUTIONS[self.kind])


COUNCIL_BODIES: dict[str, StrOrPromise] = {
    Municipality.Kind.GEMEINDE: _("Gemeindevertretung"),
    Municipality.Kind.STADT: _("Stadtverordnetenversammlung"),
    Municipality.Kind.KREISFREIE_STADT: _("Stadtverordnetenversammlung"),
    Municipality.Kind.LANDKREIS: _("Kreistag"),
}
COUNCIL_RESOLUTIONS: dict[str, StrOrPromise] = {  # the genitive differs by the body's gender
    Municipality.Kind.GEMEINDE: _("Beschluss der Gemeindevertretung"),
    Municipality.Kind.STADT: _("Beschluss der Stadtverordnetenversammlung"),
    Municipality.Kind.KREISFREIE_STADT: _("Beschluss der Stadtverordnetenversammlung"),
    Municipality.Kind.LANDKREIS: _("Beschluss des Kreistags"),
}


class Institution(models.Model):
    """The IKZ organisation of a county (a joint institution AöR or an IKZ office hosted by a member town) or a
    supervisory authority. Which form a county chose is data (``organisation_form``), never assumed."""

    class Kind(models.TextChoices):
        DKZ = "dkz", _("IKZ-Organisation des Kreises (Anstalt oder Geschäftsstelle)")
        SUPERVISORY = "supervisory", _("Aufsichtsbehörde")

    class OrganisationForm(models.TextChoices):
        JOINT_INSTITUTION = "joint_institution", _("Gemeinsame kommunale Anstalt (AöR, §§ 29a, 29b KGG)")
        IKZ_OFFICE = (
            "ikz_office",
            _("IKZ-Geschäftsstelle bei einer Mitgliedskommune (öffentlich-rechtliche Vereinbarungen)"),
        )

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=200)
    counties = models.ManyToManyField(
        County,
        verbose_name=_("Landkreise"),
        related_name="institutions",
        help_text=_("DKZ: ihr Landkreis. Aufsichtsbehörde: die beaufsichtigten Landkreise."),
    )
    stammkapital_per_member = models.DecimalField(
        _("Stammkapital je Anstaltsträger (EUR)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Laut Satzung der Anstalt."),
    )
    founded_on = models.DateField(_("Gegründet am"), null=True, blank=True)
    verwaltungsrat_resolves_first = models.BooleanField(
        _("Verwaltungsrat beschließt vor den Anstaltsträgern"),
        default=False,
        help_text=_(
            "Laut Satzung der Anstalt: An, wenn der Verwaltungsrat über eine Satzungsänderung beschließt, bevor die "
            "Anstaltsträger zustimmen; ihre Zustimmungen werden erst danach angenommen."
        ),
    )
    organisation_form = models.CharField(
        _("Organisationsform"),
        max_length=20,
        choices=OrganisationForm.choices,
        default=OrganisationForm.JOINT_INSTITUTION,
        help_text=_(
            "Anstalt: Aufgaben gehen per Satzungsänderung auf die Anstalt über (Anstaltsträger, Stammkapital, "
            "Verwaltungsrat). Geschäftsstelle: Kooperationen laufen über öffentlich-rechtliche Vereinbarungen "
            "zwischen den Partnern; es gibt keine Anstaltsträger."
        ),
    )
    host_municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Sitz bei (Mitgliedskommune)"),
        help_text=_("Nur bei einer Geschäftsstelle: die Kommune, bei der sie angesiedelt ist."),
    )
    steering_body = models.CharField(
        _("Steuerungsgremium"), max_length=120, blank=True, help_text=_("z. B. Verwaltungsrat oder Lenkungsgruppe.")
    )
    organisation_note = models.TextField(_("Quelle der Organisationsform"), blank=True)

    class SupervisoryLevel(models.TextChoices):
        LANDRAT = "landrat", _("Landrat als Behörde der Landesverwaltung")
        REGIERUNGSPRAESIDIUM = "rp", _("Regierungspräsidium")
        MINISTRY = "ministry", _("Ministerium des Innern")

    supervisory_level = models.CharField(
        _("Aufsichtsebene"),
        max_length=10,
        choices=SupervisoryLevel.choices,
        blank=True,
        help_text=_("Nur bei Aufsichtsbehörden: bestimmt die Zuständigkeit nach § 35 Abs. 2 und 4 KGG."),
    )

    class AmendmentSupervision(models.TextChoices):
        APPROVAL = "approval", _("Genehmigung")
        NOTIFICATION = "notification", _("Anzeige")

    statute_amendment_supervision = models.CharField(
        _("Satzungsänderungen: Genehmigung oder Anzeige"),
        max_length=15,
        choices=AmendmentSupervision.choices,
        default=AmendmentSupervision.NOTIFICATION,
        help_text=_(
            "Laut Satzung der Anstalt. Das Gesetz verlangt die Genehmigung nur für die Errichtungssatzung, für "
            "Änderungen die Anzeige (§ 29a KGG); die Satzung kann strenger sein."
        ),
    )

    class Meta:
        verbose_name = _("Einrichtung")
        verbose_name_plural = _("Einrichtungen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_joint_institution(self) -> bool:
        """Tasks are transferred to it by statute amendment (only a joint institution has a statute and owners)."""
        return self.kind == self.Kind.DKZ and self.organisation_form == self.OrganisationForm.JOINT_INSTITUTION

    @property
    def organisation_summary(self) -> str:
        """One line for pages and documents, e.g. "IKZ-Geschäftsstelle … bei Raunheim; Lenkungsgruppe"."""
        parts = [str(self.get_organisation_form_display())]
        if self.host_municipality_id:
            parts.append(str(_("angesiedelt bei %(host)s")) % {"host": self.host_municipality})
        if self.steering_body:
            parts.append(str(_("Steuerung: %(body)s")) % {"body": self.steering_body})
        return "; ".join(parts)


class Anstaltstraeger(models.Model):
    """A municipality that owns (is a member of) a DKZ."""

    dkz = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="members", verbose_name=_("DKZ"))
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="dkz_memberships", verbose_name=_("Kommune")
    )
    joined_on = models.DateField(_("Beigetreten am"), null=True, blank=True)
    stammkapital = models.DecimalField(_("Stammkapital (EUR)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("Anstaltsträger")
        verbose_name_plural = _("Anstaltsträger")
        constraints = [models.UniqueConstraint(fields=["dkz", "municipality"], name="uniq_anstaltstraeger")]

    def __str__(self) -> str:
        return f"{self.municipality} ({self.dkz})"


class BoardSeat(models.Model):
    """A seat in the DKZ's Vorstand or Verwaltungsrat (one Verwaltungsrat seat per Anstaltsträger)."""

    class Body(models.TextChoices):
        VORSTAND = "vorstand", _("Vorstand")
        VERWALTUNGSRAT = "verwaltungsrat", _("Verwaltungsrat")

    dkz = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="board_seats")
    body = models.CharField(_("Organ"), max_length=20, choices=Body.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("für Anstaltsträger")
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("Mitglied")
    )
    is_chair = models.BooleanField(_("Vorsitz"), default=False)

    class Meta:
        verbose_name = _("Sitz in einem Organ")
        verbose_name_plural = _("Sitze in Organen")
        constraints = [
            models.UniqueConstraint(
                fields=["dkz", "body", "municipality"],
                condition=models.Q(body="verwaltungsrat"),
                name="one_verwaltungsrat_seat_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_body_display()}: {self.municipality or self.holder}"


class Membership(models.Model):
    """A person works for a municipality or an institution, in a role."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("Rolle"), max_length=30, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Vertretung"),
    )
    absent_from = models.DateField(_("Abwesend ab"), null=True, blank=True)
    absent_until = models.DateField(_("Abwesend bis"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zugehörigkeit")
        verbose_name_plural = _("Zugehörigkeiten")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(municipality__isnull=False, institution__isnull=True)
                    | models.Q(municipality__isnull=True, institution__isnull=False)
                ),
                name="membership_exactly_one_organisation",
            ),
            models.UniqueConstraint(fields=["user", "role", "municipality", "institution"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.municipality or self.institution}"

    @property
    def organisation(self) -> Municipality | Institution:
        return self.municipality or self.institution  # type: ignore[return-value]
