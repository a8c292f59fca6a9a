"""Short-lived per-process copies of a model's rows (:class:`vool.common.short_lived.ShortLived`)
forgotten whenever the model is saved or deleted in this process."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

from vool.common.short_lived import ShortLived


def forget_on_change(kept: ShortLived[Any], model: type[models.Model], uid: str) -> None:
    """``kept`` forgotten when a ``model`` row is saved or deleted, and again when that
    transaction commits (a read between the two would otherwise keep the uncommitted row)."""

    def changed(*, using: str = "default", **kwargs: Any) -> None:
        kept.forget()
        transaction.on_commit(kept.forget, using=using)

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
