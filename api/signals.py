"""A changed password ends the user's API token: whoever knew the old password loses the API access it gave."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="api_token_password_watch")
def _remember_password_change(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        instance._api_password_changed = False
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._api_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=User, dispatch_uid="api_token_password_revoke")
def _revoke_tokens_on_password_change(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, "_api_password_changed", False):
        Token.objects.filter(user=instance).delete()
        instance._api_password_changed = False
