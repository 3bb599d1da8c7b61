"""Model building blocks shared by the domain apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WriteOnceModel(models.Model):
    """A row written once and never changed: saving an existing row raises ``rewrite_error(rewrite_message)``.

    A change is a new row instead (a new version, a correction entry, a new audit entry).
    """

    rewrite_message: ClassVar[StrOrPromise]
    rewrite_error: ClassVar[type[Exception]] = ValidationError

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise self.rewrite_error(self.rewrite_message)
        super().save(*args, **kwargs)
