"""The service freeze (issue 16 §6) as the interfaces see it: whether it is on, and the one
refusal every back-office write but registering a request goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from vool.domain.cases import queries

if TYPE_CHECKING:
    from vool.domain.cases.models import Freeze


class FrozenNow(Exception):
    """The freeze is on: only requests may be registered (the message says so)."""


def current() -> Freeze | None:
    return queries.current_freeze()


def shown() -> Freeze | None:
    """The freeze as a page shows it: :func:`current` read at most once a second per server
    process (every portal page asks). A write checks :func:`current`."""
    return queries.current_freeze_shown()


def check_not_frozen() -> None:
    """Raise :class:`FrozenNow` while the freeze is on."""
    freeze = queries.current_freeze()
    if freeze is not None:
        raise FrozenNow(
            _(
                "Vool is frozen since %(since)s (%(message)s): only customer requests can be "
                "registered until the freeze is switched off."
            )
            % {
                "since": timezone.localtime(freeze.started_at).strftime("%Y-%m-%d %H:%M"),
                "message": freeze.message,
            }
        )
