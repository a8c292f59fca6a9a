"""Supply agreements of contracts concluded in Vool, in the data hub (issue 15, section 2).

A contract concluded in the portal (moving in) or in the back office (*New contract* on the
customer's page) is queued for the hub with the contract, in its transaction
(:func:`queue_for_new_contract`, PENDING), while the hub connection is on; right after the
contract is written it is sent (:func:`send_queued`), within the legal lead times of
:mod:`vool.domain.hub.switching` checked on the day it is sent. What cannot be sent then (the
hub unreachable) stays PENDING and ``vool datahub sync`` sends it (:func:`send_pending_agreements`).
A lead time that cannot be met, or the hub's refusal, makes it REFUSED with the reason, shown
on the contract for customer service to act on. The hub distributing the agreement back makes
it CONFIRMED (the sync).

The customer may withdraw within 14 days of concluding (at least a day before the supply
starts): in the portal for their own contract (:func:`vool.usecases.portal_contracts.withdraw`),
or customer service for them (:mod:`vool.usecases.backoffice_contracts`); either cancels the
agreement in the hub and the contract, audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from vool.common.localtime import local_date
from vool.domain.hub import operations as hub_operations
from vool.domain.hub import queries as hub_queries
from vool.domain.hub import switching
from vool.integrations.datahub.client import HubApi, HubRefused, HubUnavailable
from vool.usecases import datahub

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.hub.models import AgreementSubmission

__all__ = [
    "AgreementState",
    "SendReport",
    "queue_for_new_contract",
    "send_pending_agreements",
    "send_queued",
    "states_of",
    "withdraw",
]

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    submitted: int = 0
    refused: int = 0


@dataclass(frozen=True)
class AgreementState:
    """A contract's agreement in the hub as the portal and the back office show it."""

    status: str  # PENDING, SUBMITTED, CONFIRMED, REFUSED, CANCELLED, ENDED
    label: str
    problem: str
    agreement_id: str
    withdraw_until: dt.date
    may_withdraw: bool


def queue_for_new_contract(
    *, contract: SupplyContract, open_supply_elsewhere: bool, now: dt.datetime
) -> AgreementSubmission | None:
    """Queue the agreement of a newly concluded contract (nothing while the hub is off)."""
    if not settings.VOOL_DATAHUB_ENABLED:
        return None
    return hub_operations.queue_agreement(
        contract=contract, open_supply_elsewhere=open_supply_elsewhere, now=now
    )


def _send(
    hub: HubApi, submission: AgreementSubmission, *, today: dt.date, now: dt.datetime
) -> bool:
    """Send one PENDING agreement: SUBMITTED (True) or REFUSED with the reason (False). The hub
    unreachable raises :class:`HubUnavailable` and leaves it PENDING."""
    try:
        agreement_id = datahub.send_agreement(
            hub=hub,
            contract=submission.contract,
            open_supply_elsewhere=submission.open_supply_elsewhere,
            today=today,
        )
    except datahub.UnableToSubmitAgreement as exc:
        hub_operations.mark_agreement_refused(submission=submission, problem=str(exc), now=now)
        return False
    except HubRefused as exc:
        hub_operations.mark_agreement_refused(
            submission=submission, problem=f"The data hub refused the agreement: {exc}", now=now
        )
        return False
    hub_operations.mark_agreement_submitted(
        submission=submission, agreement_id=agreement_id, now=now
    )
    return True


def send_pending_agreements(*, hub: HubApi, today: dt.date, now: dt.datetime) -> SendReport:
    """Send every PENDING agreement, oldest first (the sync's step)."""
    report = SendReport()
    for submission in hub_queries.pending_submissions():
        if _send(hub, submission, today=today, now=now):
            report.submitted += 1
        else:
            report.refused += 1
    return report


def send_queued(*, contract: SupplyContract, now: dt.datetime) -> None:
    """Send the contract's queued agreement now, if there is one; the hub unreachable leaves
    it for the next sync (logged), it never undoes the contract."""
    submission = hub_queries.submission_of_contract(contract_id=contract.pk)
    if submission is None or submission.status != hub_queries.PENDING:
        return
    try:
        with datahub.hub_from_settings() as hub:
            _send(hub, submission, today=local_date(now), now=now)
    except (HubUnavailable, datahub.HubDisabled) as exc:
        log.warning("agreement of contract %s left for the next sync: %s", contract.pk, exc)


def _state(
    submission: AgreementSubmission, contract: SupplyContract, today: dt.date
) -> AgreementState:
    concluded = local_date(contract.created_at)
    return AgreementState(
        status=submission.status,
        label=str(hub_queries.AGREEMENT_LABELS[submission.status]),
        problem=submission.problem,
        agreement_id=submission.agreement_id or "",
        withdraw_until=concluded + dt.timedelta(days=switching.WITHDRAWAL_DAYS),
        may_withdraw=submission.status in hub_queries.WITHDRAWABLE
        and switching.withdrawal_problem(
            concluded_on=concluded, starts_on=contract.valid_from, today=today
        )
        is None,
    )


def states_of(contracts: list[SupplyContract], *, today: dt.date) -> dict[int, AgreementState]:
    """The hub state of each contract that has an agreement submission, by contract id."""
    submissions = hub_queries.submissions_of_contracts(contract_ids=[c.pk for c in contracts])
    return {c.pk: _state(submissions[c.pk], c, today) for c in contracts if c.pk in submissions}


def withdraw(
    *,
    contract: SupplyContract,
    user: Any,
    reason: str,
    now: dt.datetime,
    source_address: str | None = None,
    request_id: str = "",
) -> SupplyContract:
    """The withdrawal: the agreement cancelled in the hub, the contract cancelled, audited
    (:func:`vool.usecases.datahub.withdraw_agreement`)."""
    submission = hub_queries.submission_of_contract(contract_id=contract.pk)
    needs_hub = submission is not None and bool(submission.agreement_id)
    kwargs: dict[str, Any] = {
        "contract": contract,
        "today": local_date(now),
        "now": now,
        "user": user,
        "reason": reason,
        "source_address": source_address,
        "request_id": request_id,
    }
    if needs_hub and settings.VOOL_DATAHUB_ENABLED:
        with datahub.hub_from_settings() as hub:
            return datahub.withdraw_agreement(hub=hub, **kwargs)
    return datahub.withdraw_agreement(hub=None, **kwargs)
