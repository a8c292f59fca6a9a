"""``vool freeze on --message TEXT --user NAME`` (the portal read-only, readings queued, the
back office only registering requests), ``off --user NAME`` and ``status``. The user must be
an administrator (``cases.switch_freeze``) or a superuser; each switch is in the audit log."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.domain.cases.operations import UnableToSwitchFreeze
from vool.usecases import case_work, freeze
from vool.usecases.backoffice_actions import NotAllowed


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"There is no active user {username!r}.")
    return user


class Command(BaseCommand):
    help = "The service freeze: switch it on with a message, off, or show its status."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("on", help="freeze the service, with a message for the customers")
        p.add_argument("--message", required=True)
        p.add_argument("--user", required=True, help="the administrator switching it")
        p = sub.add_parser("off", help="end the freeze")
        p.add_argument("--user", required=True, help="the administrator switching it")
        sub.add_parser("status", help="is the freeze on, since when, with which message")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "on":
                done = case_work.switch_freeze_on(
                    user=_user(options["user"]), message=options["message"], now=timezone.now()
                )
                self.stdout.write(f"Freeze on since {done.started_at.isoformat()}: {done.message}")
            elif action == "off":
                done = case_work.switch_freeze_off(user=_user(options["user"]), now=timezone.now())
                assert done.ended_at is not None
                self.stdout.write(
                    f"Freeze off at {done.ended_at.isoformat()} "
                    f"(on since {done.started_at.isoformat()})."
                )
            else:
                self._status()
        except (NotAllowed, UnableToSwitchFreeze) as exc:
            raise CommandError(str(exc)) from exc

    def _status(self) -> None:
        current = freeze.current()
        if current is None:
            self.stdout.write("Freeze off.")
            return
        self.stdout.write(
            f"Freeze on since {current.started_at.isoformat()} by {current.started_by}: "
            f"{current.message}"
        )
