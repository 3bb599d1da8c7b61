"""Who may register webhooks, and registering them. One access function per subscription."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks.events import SUBSCRIBABLE, Event, Subject
from api.webhooks.models import WebhookDelivery, WebhookSubscription
from api.webhooks.targets import target_refusal
from projects.models import County, Institution, Municipality
from projects.roles import Role
from projects.selectors import memberships_of
from projects.services.audit import audit_record

MIN_SECRET_LENGTH = 16


def webhook_scopes_of(*, user: Any) -> tuple[set[int], set[int]]:
    """(municipality ids, county ids) for which the user may register webhooks: the mayor for the municipality,
    the DKZ project management for its county."""
    municipalities = {
        m.municipality_id for m in memberships_of(user=user) if m.role == Role.MAYOR and m.municipality_id
    }
    counties = {
        c.pk
        for m in memberships_of(user=user)
        if m.role == Role.PROJECT_MANAGER and m.institution is not None and m.institution.kind == Institution.Kind.DKZ
        for c in m.institution.counties.all()
    }
    return municipalities, counties


def subscription_list_for_user(*, user: Any) -> QuerySet[WebhookSubscription]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.filter(owner=user).select_related("municipality", "county")


def subscription_for_user(*, user: Any, pk: Any) -> WebhookSubscription:
    """The user's own subscription, else Http404."""
    try:
        return subscription_list_for_user(user=user).get(pk=int(pk))
    except (TypeError, ValueError, WebhookSubscription.DoesNotExist) as exc:
        raise Http404(_("Webhook nicht gefunden")) from exc


def delivery_for_user(*, user: Any, subscription_pk: Any, pk: Any) -> WebhookDelivery:
    """A delivery of the user's own subscription, else Http404."""
    subscription = subscription_for_user(user=user, pk=subscription_pk)
    try:
        return subscription.deliveries.select_related("subscription").get(pk=uuid.UUID(str(pk)))
    except (TypeError, ValueError, WebhookDelivery.DoesNotExist) as exc:
        raise Http404(_("Zustellung nicht gefunden")) from exc


def _insecure_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_HTTP", settings.DEBUG))


@transaction.atomic
def subscription_create(
    *,
    owner: Any,
    url: str,
    events: list[str],
    secret: str,
    municipality: Municipality | None = None,
    county: County | None = None,
) -> WebhookSubscription:
    municipality_ids, county_ids = webhook_scopes_of(user=owner)
    if not municipality_ids and not county_ids:
        raise PermissionDenied(
            _("Webhooks richten Bürgermeisterinnen und Bürgermeister oder das DKZ-Projektmanagement ein.")
        )
    errors: dict[str, str] = {}
    if municipality is not None and county is not None:
        errors["municipality"] = _("Bitte entweder eine Kommune oder einen Landkreis angeben.")
    elif municipality is not None and municipality.pk not in municipality_ids:
        raise PermissionDenied(_("Für diese Kommune dürfen Sie keine Webhooks einrichten."))
    elif county is not None and county.pk not in county_ids:
        raise PermissionDenied(_("Für diesen Landkreis dürfen Sie keine Webhooks einrichten."))
    elif municipality is None and county is None:
        if len(municipality_ids) + len(county_ids) != 1:
            errors["municipality"] = _("Bitte angeben, für welche Kommune oder welchen Landkreis.")
        elif municipality_ids:
            municipality = Municipality.objects.get(pk=next(iter(municipality_ids)))
        else:
            county = County.objects.get(pk=next(iter(county_ids)))
    scheme = (url or "").split(":", 1)[0].lower()
    if scheme != "https" and not (scheme == "http" and _insecure_allowed()):
        errors["url"] = _("Nur https-Adressen sind erlaubt.")
    elif (refusal := target_refusal(url, must_resolve=False)) is not None:
        errors["url"] = refusal
    unknown = sorted(set(events) - set(SUBSCRIBABLE))
    if not events:
        errors["events"] = _("Bitte mindestens ein Ereignis wählen.")
    elif unknown:
        errors["events"] = _("Unbekannte Ereignisse: %(names)s") % {"names": ", ".join(unknown)}
    if len(secret or "") < MIN_SECRET_LENGTH:
        errors["secret"] = _("Das Geheimnis muss mindestens %(n)d Zeichen lang sein.") % {"n": MIN_SECRET_LENGTH}
    if errors:
        raise ValidationError(errors)
    subscription = WebhookSubscription.objects.create(
        owner=owner,
        municipality=municipality,
        county=county,
        url=url,
        events=sorted(set(events)),
        secret=secret,
    )
    audit_record(
        actor=owner,
        action="webhook.subscribed",
        subject=subscription,
        county=county or (municipality.county if municipality else None),
        municipality=municipality,
        changes={"url": url, "events": subscription.events},
    )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, by: Any) -> None:
    audit_record(
        actor=by,
        action="webhook.deleted",
        subject=subscription,
        county=subscription.county or (subscription.municipality.county if subscription.municipality else None),
        municipality=subscription.municipality,
        changes={"url": subscription.url, "events": subscription.events},
    )
    subscription.delete()


def _scope_audit(subscription: WebhookSubscription) -> dict[str, Any]:
    municipality = subscription.municipality
    return {
        "county": subscription.county or (municipality.county if municipality else None),
        "municipality": municipality,
    }


def _send_after_commit(delivery: WebhookDelivery) -> None:
    from api.webhooks.delivery import enqueue

    transaction.on_commit(lambda: enqueue(delivery.pk))


@transaction.atomic
def subscription_ping(*, subscription: WebhookSubscription, by: Any) -> WebhookDelivery:
    """A test delivery (event ``ping``) to the subscription's address, sent like every other delivery."""
    from api.webhooks.fanout import body_of

    if not subscription.active:
        raise ValidationError(_("Der Webhook ist nicht aktiv."))
    event_id = uuid.uuid4()
    delivery = WebhookDelivery(
        subscription=subscription,
        event=Event.PING,
        event_id=event_id,
        subject_type=Subject.WEBHOOK,
        subject_id=str(subscription.pk),
    )
    data = {"webhook": {"id": subscription.pk, "url": subscription.url, "events": list(subscription.events)}}
    delivery.body = body_of(delivery, Event.PING, event_id, timezone.now(), data)
    delivery.save()
    audit_record(
        actor=by,
        action="webhook.pinged",
        subject=subscription,
        changes={"delivery": str(delivery.pk)},
        **_scope_audit(subscription),
    )
    _send_after_commit(delivery)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, by: Any) -> WebhookDelivery:
    """Send a finished delivery again as a new delivery (new id, ``redelivery_of`` the old one, same event id and
    data): after a receiver was down for longer than the retries, or lost what it received."""
    import json

    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    subscription = delivery.subscription
    if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING):
        raise ValidationError(_("Diese Zustellung läuft noch; erneut senden geht erst, wenn sie abgeschlossen ist."))
    if not subscription.active:
        raise ValidationError(_("Der Webhook ist nicht aktiv."))
    original = delivery.redelivery_of or delivery
    body = json.loads(original.body)
    again = WebhookDelivery(
        subscription=subscription,
        event=original.event,
        event_id=original.event_id,
        subject_type=original.subject_type,
        subject_id=original.subject_id,
        redelivery_of=original,
    )
    again.body = json.dumps(
        {**body, "delivery": str(again.pk), "redelivery_of": str(original.pk)},
        ensure_ascii=False,
        sort_keys=True,
    )
    again.save()
    audit_record(
        actor=by,
        action="webhook.redelivered",
        subject=subscription,
        changes={"delivery": str(original.pk), "redelivery": str(again.pk), "event": original.event},
        **_scope_audit(subscription),
    )
    _send_after_commit(again)
    return again
