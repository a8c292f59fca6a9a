"""The supplier's conversation with the data hub (Estfeed Datahub): polling its
data-distribution entries, supplier switching and connection-state requests.

**Sync.** For each resource type, the query windows the hub allows (1 hour for metering data,
1 day otherwise) are read page by page from where the last run stopped (:class:`HubCursor`)
up to a few minutes before ``now`` (``LAG``: an entry being written is read next time).
Each page is one transaction: its entries are stored once by the hub's id, handled, and the
position moves on; a run that is killed resumes at the page it did not finish, and an entry
seen again is not handled again.

Every entry is stored with its content as the hub wrote it (``HubEntry.raw``) and every
handler reads its numbers exactly from that text (never through a float).

* METERING_DATA: imported like a file, from the hub's own text, by the same reader as
  ``vool intervals import`` (:mod:`vool.usecases.import_intervals`), all or nothing
  per entry: an entry with a bad point is refused whole and queued (``HubEntry.QUEUED``, the
  problems in ``problem``) for an operator, never half-stored; the hub's ``unsuccessful``
  points are counted in the report.
* METERING_POINT: master data (address, resolution, metering method, grid operator, network
  package) create or update the point; the connection state, address id and production
  flag go to :class:`PointHubState`.
* AGREEMENT: our agreement ended by the hub (``validTo``), or another supplier's agreement
  on a point we supply, ends our contract on that day (audited, ``contracts.end_contract``);
  the month's bill run then bills it up to that day: the final bill.
* CONNECTION_STATE: the grid operator's answers to our requests are recorded.
* AGREEMENT for our own agreement without an end: the hub has it in force (CONFIRMED).
* NETWORK_BILL: the grid operator's bills read into :class:`NetworkBill` rows (point, period,
  kWh per time band and direction, lines), once per bill id; a bill for a point we do not
  know, or with a bad field, is refused and queued whole. :mod:`vool.usecases.network_bills`
  compares them with what we billed.
* CUSTOMER, PERMISSION: stored for later (``KEPT``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vool.common.localtime import local_date, local_midnight
from vool.domain.contracts import operations as contract_operations
from vool.domain.contracts import queries as contract_queries
from vool.domain.hub import operations as hub_operations
from vool.domain.hub import queries as hub_queries
from vool.domain.hub import switching
from vool.domain.shown import shown_day
from vool.domain.supply import operations as supply_operations
from vool.domain.supply import queries as supply_queries
from vool.integrations.datahub import resources
from vool.integrations.datahub.client import HttpHub, HubApi, HubConfig, format_instant
from vool.usecases import import_intervals

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.hub.models import AgreementSubmission, ConnectionRequest, HubCursor, HubEntry
    from vool.domain.supply.models import GridOperator, MeteringPoint

__all__ = [
    "HubDisabled",
    "SyncProgress",
    "SyncReport",
    "UnableToRequestConnection",
    "UnableToSubmitAgreement",
    "UnableToWithdraw",
    "hub_from_settings",
    "request_connection_state",
    "send_agreement",
    "submit_agreement",
    "sync",
    "withdraw_agreement",
]

WINDOWS: Final = {"METERING_DATA": dt.timedelta(hours=1)}
DEFAULT_WINDOW: Final = dt.timedelta(days=1)
# read up to a little before now: an entry the hub is still writing is read next time
LAG: Final = dt.timedelta(minutes=5)
# master data before the data that needs it
SYNCED: Final = (
    "METERING_POINT",
    "AGREEMENT",
    "METERING_DATA",
    "CONNECTION_STATE",
    "NETWORK_BILL",
    "CUSTOMER",
)
KEPT: Final = frozenset({"CUSTOMER", "PERMISSION"})


class HubDisabled(Exception):
    """The data hub connection is off (``VOOL_DATAHUB_ENABLED``)."""


def hub_from_settings() -> HttpHub:
    """The hub client configured by the ``VOOL_DATAHUB_*`` settings."""
    if not settings.VOOL_DATAHUB_ENABLED:
        raise HubDisabled(
            "The data hub connection is off: set VOOL_DATAHUB_ENABLED=1 and the "
            "VOOL_DATAHUB_CLIENT_ID / VOOL_DATAHUB_CLIENT_SECRET the hub gave."
        )
    return HttpHub(
        HubConfig(
            base_url=settings.VOOL_DATAHUB_BASE_URL,
            token_url=settings.VOOL_DATAHUB_TOKEN_URL,
            client_id=settings.VOOL_DATAHUB_CLIENT_ID,
            client_secret=settings.VOOL_DATAHUB_CLIENT_SECRET,
            api_version=settings.VOOL_DATAHUB_API_VERSION,
        )
    )


@dataclass(frozen=True)
class SyncProgress:
    resource_type: str
    window_start: dt.datetime
    page: int
    new_entries: int


@dataclass
class SyncReport:
    pages: int = 0
    new_entries: int = 0
    done: int = 0
    queued: int = 0
    kept: int = 0
    not_given: int = 0
    contracts_ended: list[int] = field(default_factory=list)
    network_bills: int = 0  # network bills stored new or corrected
    finished: bool = True  # False: stopped at max_pages before reaching now


def _window(resource_type: str) -> dt.timedelta:
    return WINDOWS.get(resource_type, DEFAULT_WINDOW)


def sync(
    *,
    hub: HubApi,
    now: dt.datetime,
    since: dt.datetime,
    resource_types: Sequence[str] = SYNCED,
    max_pages: int | None = None,
    lag: dt.timedelta = LAG,
    progress: Callable[[SyncProgress], None] | None = None,
) -> SyncReport:
    """Read the hub's entries from where the last run stopped (or ``since``, the first time)
    up to ``now - lag``; see the module doc."""
    report = SyncReport()
    limit = now - lag
    for resource_type in resource_types:
        cursor = hub_operations.cursor_for(resource_type=resource_type, start=since, now=now)
        while cursor.window_start < limit:
            if max_pages is not None and report.pages >= max_pages:
                report.finished = False
                return report
            window_end = min(cursor.window_start + _window(resource_type), limit)
            shown = SyncProgress(resource_type, cursor.window_start, cursor.page, 0)
            doc = hub.search(
                resource_type=resource_type,
                start=cursor.window_start,
                end=window_end,
                page=cursor.page,
            )
            fresh = _take_page(
                resources.parse_page(doc, resource_type=resource_type),
                cursor=cursor,
                window_end=window_end,
                now=now,
                report=report,
            )
            if progress is not None:
                progress(dataclasses.replace(shown, new_entries=fresh))
    return report


def _take_page(
    page: resources.Page,
    *,
    cursor: HubCursor,
    window_end: dt.datetime,
    now: dt.datetime,
    report: SyncReport,
) -> int:
    """Store, handle and pass one page, in one transaction; the number of new entries."""
    with transaction.atomic():
        fresh = hub_operations.store_entries(
            entries=page.entries, received_at=now, kept_types=set(KEPT)
        )
        overlapped = _overlapped(fresh)
        if overlapped:
            _import_metering_entries(overlapped, now=now, report=report)
        taken = {e.pk for e in overlapped}
        for entry in fresh:
            if entry.pk not in taken:
                _handle(entry, now=now, report=report)
        hub_operations.advance_cursor(
            cursor=cursor, window_end=window_end, last_page=page.last, now=now
        )
    report.pages += 1
    report.new_entries += len(fresh)
    return len(fresh)


def _handle(entry: HubEntry, *, now: dt.datetime, report: SyncReport) -> None:
    if entry.status == hub_queries.ENTRY_KEPT:
        report.kept += 1
        return
    handler = _HANDLERS.get(entry.resource_type)
    if handler is None:
        hub_operations.keep_entry(entry=entry)
        report.kept += 1
        return
    try:
        with transaction.atomic():
            handler(entry, now, report)
        problem = ""
    except _Refused as exc:
        problem = str(exc)
    except resources.BadResource as exc:
        problem = f"entry {entry.entry_id}: {exc}"
    hub_operations.finish_entry(entry=entry, problem=problem, processed_at=now)
    if problem:
        report.queued += 1
    else:
        report.done += 1


def _overlapped(fresh: list[HubEntry]) -> list[HubEntry]:
    """The page's METERING_DATA entries for the overlapped import: two or more, and
    ``VOOL_DATAHUB_OVERLAP`` on; else none (each entry is handled alone)."""
    if not settings.VOOL_DATAHUB_OVERLAP:
        return []
    metering = [
        e
        for e in fresh
        if e.resource_type == "METERING_DATA" and e.status != hub_queries.ENTRY_KEPT
    ]
    return metering if len(metering) > 1 else []


def _import_metering_entries(
    entries: list[HubEntry], *, now: dt.datetime, report: SyncReport
) -> None:
    """A page's METERING_DATA entries through the overlapped import
    (:func:`import_intervals.import_interval_pages`: the next entry parsed in a forked process
    while this one is stored), each entry an import of its own, all or nothing, in a savepoint
    of the page's transaction: resuming and handling an entry once work as for one entry."""
    outcomes = import_intervals.import_interval_pages(
        pages=((f"hub entry {e.entry_id}", e.raw.encode()) for e in entries),
        as_of=now,
        recorded_at=now,
    )
    for entry, outcome in zip(entries, outcomes, strict=True):
        problem = ""
        if outcome.rejected is not None:
            problem = _shown_rejection(outcome.rejected)
        elif outcome.report is not None:
            report.not_given += len(outcome.report.not_given)
        hub_operations.finish_entry(entry=entry, problem=problem, processed_at=now)
        if problem:
            report.queued += 1
        else:
            report.done += 1


def _shown_rejection(exc: import_intervals.RejectedFile) -> str:
    shown = "; ".join(str(p) for p in exc.problems[:5])
    more = f" (and {exc.total - 5} more)" if exc.total > 5 else ""
    return f"{shown}{more}"


class _Refused(Exception):
    """The entry cannot be handled; the message says why (it goes to the queue)."""


def _content(entry: HubEntry) -> Any:
    """The entry's content read exactly from the text the hub wrote (no float)."""
    return resources.decode_content(entry.raw)


def _metering_data(entry: HubEntry, now: dt.datetime, report: SyncReport) -> None:
    name = f"hub entry {entry.entry_id}"
    try:
        result = import_intervals.import_interval_data(
            files=[(name, entry.raw.encode())], as_of=now, recorded_at=now
        )
    except import_intervals.RejectedFile as exc:
        raise _Refused(_shown_rejection(exc)) from exc
    report.not_given += len(result.not_given)


def _metering_point(entry: HubEntry, now: dt.datetime, report: SyncReport) -> None:
    data = resources.parse_point(_content(entry), where=f"entry {entry.entry_id}")
    operator = (
        supply_queries.grid_operator_by_eic(eic=data.grid_operator_eic)
        if data.grid_operator_eic
        else None
    )
    method = supply_queries.REMOTE_INTERVAL if data.remote_read else supply_queries.MANUAL_REGISTER
    point = supply_queries.metering_point_for_update(eic=data.eic)
    try:
        if point is None:
            point = _new_point(data, operator, method)
        else:
            supply_operations.update_master_data(
                point=point,
                street_address=data.street_address,
                city=data.city,
                postal_code=data.postal_code,
                resolution=data.resolution,
                metering_method=method,
                grid_operator=operator,
                network_package_code=data.network_package,
            )
    except supply_operations.InvalidMeteringPoint as exc:
        raise _Refused(f"{data.eic}: {exc.message_dict}") from exc
    hub_operations.set_point_state(
        point=point,
        connection_state=data.connection_state,
        address_id=data.address_id,
        production=data.production,
        now=now,
    )


def _new_point(
    data: resources.PointMasterData, operator: GridOperator | None, method: str
) -> MeteringPoint:
    if operator is None:
        raise _Refused(
            f"{data.eic}: the grid operator {data.grid_operator_eic or '(none given)'} is not "
            "known; add it and sync again"
        )
    if not data.network_package:
        raise _Refused(f"{data.eic}: the hub gave no network package for a new point")
    return supply_operations.create_metering_point(
        eic=data.eic,
        grid_operator=operator,
        street_address=data.street_address,
        city=data.city,
        postal_code=data.postal_code,
        main_fuse_a=settings.VOOL_DATAHUB_DEFAULT_MAIN_FUSE_A,
        network_package_code=data.network_package,
        metering_method=method,
        resolution=data.resolution,
    )


_SWITCH_AWAY: Final = (
    "data hub: another supplier takes the point from {day} (supply agreement {agreement})"
)


def _agreement(entry: HubEntry, now: dt.datetime, report: SyncReport) -> None:
    for agreement in resources.parse_agreements(_content(entry), where=f"entry {entry.entry_id}"):
        ours = hub_queries.submission_by_agreement(agreement_id=agreement.agreement_id)
        if ours is not None:
            if agreement.valid_to is None:  # the hub distributes our agreement: it is in force
                if ours.status == hub_queries.SUBMITTED:
                    hub_operations.set_agreement_status(
                        submission=ours, status=hub_queries.CONFIRMED, now=now
                    )
                continue
            end_day = local_date(agreement.valid_to)
            contracts = [ours.contract]
            hub_operations.set_agreement_status(submission=ours, status=hub_queries.ENDED, now=now)
        else:
            end_day = local_date(agreement.valid_from)
            contracts = contract_queries.active_contracts_of_point_on(
                eic=agreement.eic, day=end_day
            )
        for contract in contracts:
            before = contract.valid_to
            try:
                ended = contract_operations.end_supply(
                    contract=contract,
                    end_date=end_day,
                    reason=_SWITCH_AWAY.format(day=end_day, agreement=agreement.agreement_id),
                    user=None,
                    now=now,
                )
            except contract_operations.UnableToEndContract as exc:
                raise _Refused(f"{agreement.eic}: {exc.messages[0]}") from exc
            if ended.valid_to != before:  # a contract ending earlier already is left
                report.contracts_ended.append(contract.pk)


def _connection_state(entry: HubEntry, now: dt.datetime, report: SyncReport) -> None:
    answer = resources.parse_connection_answer(_content(entry), where=f"entry {entry.entry_id}")
    try:
        hub_operations.record_connection_answer(
            request_id=answer.request_id,
            state=answer.state,
            answered_at=answer.at,
            comment=answer.comment,
            entry=entry,
            now=now,
        )
    except hub_operations.UnknownConnectionRequest as exc:
        raise _Refused(str(exc)) from exc


def _network_bill(entry: HubEntry, now: dt.datetime, report: SyncReport) -> None:
    bills = resources.parse_network_bills(_content(entry), where=f"entry {entry.entry_id}")
    for bill in bills:
        point = supply_queries.get_metering_point(eic=bill.eic)
        if point is None:
            raise _Refused(
                f"entry {entry.entry_id}, network bill {bill.bill_id}, meteringPointEic: "
                f"{bill.eic} is not a metering point of ours"
            )
        try:
            stored = hub_operations.store_network_bill(bill=bill, point=point, entry=entry, now=now)
        except hub_operations.InvalidNetworkBill as exc:
            raise _Refused(f"entry {entry.entry_id}: {exc}") from exc
        if stored != "SAME":
            report.network_bills += 1


_HANDLERS: Final[dict[str, Callable[[HubEntry, dt.datetime, SyncReport], None]]] = {
    "METERING_DATA": _metering_data,
    "METERING_POINT": _metering_point,
    "AGREEMENT": _agreement,
    "CONNECTION_STATE": _connection_state,
    "NETWORK_BILL": _network_bill,
}


# --- supplier switching ------------------------------------------------------------------


class UnableToSubmitAgreement(Exception):
    """The agreement cannot be submitted; the message says why."""


def submit_agreement(
    *,
    hub: HubApi,
    contract: SupplyContract,
    open_supply_elsewhere: bool,
    today: dt.date,
    now: dt.datetime,
) -> AgreementSubmission:
    """Submit the supply agreement of a new contract to the hub, within the legal lead times
    (:mod:`vool.domain.hub.switching`). Submitting again returns the earlier submission."""
    existing = hub_queries.submission_of_contract(contract_id=contract.pk)
    if existing is not None:
        return existing
    agreement_id = send_agreement(
        hub=hub, contract=contract, open_supply_elsewhere=open_supply_elsewhere, today=today
    )
    return hub_operations.record_agreement(
        contract=contract,
        agreement_id=agreement_id,
        open_supply_elsewhere=open_supply_elsewhere,
        now=now,
    )


def send_agreement(
    *, hub: HubApi, contract: SupplyContract, open_supply_elsewhere: bool, today: dt.date
) -> str:
    """Send the contract's supply agreement to the hub (on ``today``, within the legal lead
    times) and return the hub's agreement id; records nothing."""
    earliest = switching.earliest_start(
        submitted_on=today, open_supply_elsewhere=open_supply_elsewhere
    )
    if contract.valid_from < earliest:
        lead = "14 days" if open_supply_elsewhere else "1 day"
        raise UnableToSubmitAgreement(
            f"The contract starts on {contract.valid_from}; submitted on {today} it can start "
            f"on {earliest} at the earliest ({lead} ahead "
            + (
                "when the customer has a supplier)"
                if open_supply_elsewhere
                else "from general service)"
            )
        )
    body = {
        "meterEic": contract.metering_point.eic,
        "agreementType": "SUPPLY",
        "commodityType": "ELECTRICITY",
        "validFrom": format_instant(local_midnight(contract.valid_from)),
        "validTo": format_instant(local_midnight(contract.valid_to)) if contract.valid_to else None,
        "preliminaryTerminationFee": False,
    }
    answer = hub.submit_agreement(body)
    agreement_id = str(answer.get("agreementId") or "")
    if not agreement_id:
        raise UnableToSubmitAgreement(f"The hub answered without an agreementId: {answer!r:.200}")
    return agreement_id


class UnableToWithdraw(Exception):
    """The withdrawal cannot cancel the agreement; the message says why."""


def _withdrawal_refused(contract_id: int, refusal: switching.WithdrawalRefusal) -> str:
    """The withdrawal's refusal in the active language."""
    if refusal.too_late:
        return ngettext(
            "Contract %(id)s: the contract was concluded on %(concluded)s; a withdrawal is "
            "possible for %(days)s day, until %(until)s.",
            "Contract %(id)s: the contract was concluded on %(concluded)s; a withdrawal is "
            "possible for %(days)s days, until %(until)s.",
            switching.WITHDRAWAL_DAYS,
        ) % {
            "id": contract_id,
            "concluded": shown_day(refusal.concluded_on),
            "days": switching.WITHDRAWAL_DAYS,
            "until": shown_day(refusal.until),
        }
    return _(
        "Contract %(id)s: the supply starts on %(start)s; the agreement is cancelled in the hub "
        "at least one day before it starts (end the contract instead)."
    ) % {"id": contract_id, "start": shown_day(refusal.starts_on)}


def withdraw_agreement(
    *,
    hub: HubApi | None,
    contract: SupplyContract,
    today: dt.date,
    now: dt.datetime,
    user: Any,
    reason: str,
    source_address: str | None = None,
    request_id: str = "",
) -> SupplyContract:
    """The customer withdraws (within 14 days of concluding the contract, at least a day
    before it starts): the agreement is cancelled in the hub (one not sent yet is just not
    sent; ``hub`` may then be ``None``) and the contract cancelled, audited."""
    submission = hub_queries.submission_of_contract(contract_id=contract.pk)
    if submission is None or submission.status not in hub_queries.WITHDRAWABLE:
        raise UnableToWithdraw(
            _("Contract %(id)s has no submitted agreement in the hub.") % {"id": contract.pk}
        )
    refusal = switching.withdrawal_refusal(
        concluded_on=local_date(contract.created_at), starts_on=contract.valid_from, today=today
    )
    if refusal is not None:
        raise UnableToWithdraw(_withdrawal_refused(contract.pk, refusal))
    if submission.agreement_id:
        if hub is None:
            raise UnableToWithdraw(
                _(
                    "Contract %(id)s: the agreement is in the data hub, whose connection is "
                    "off; it cannot be cancelled there now."
                )
                % {"id": contract.pk}
            )
        hub.cancel_agreement(submission.agreement_id)
    with transaction.atomic():
        hub_operations.set_agreement_status(
            submission=submission, status=hub_queries.CANCELLED, now=now
        )
        return contract_operations.cancel_contract(
            contract=contract,
            reason=f"withdrawal: {reason}",
            user=user,
            now=now,
            source_address=source_address,
            request_id=request_id,
        )


# --- connection state ----------------------------------------------------------------------


class UnableToRequestConnection(Exception):
    """The request cannot be sent; the message says why."""


def request_connection_state(
    *,
    hub: HubApi,
    metering_point: MeteringPoint,
    action: str,
    reason: str,
    user: Any,
    now: dt.datetime,
    billing_account_id: int | None = None,
) -> ConnectionRequest:
    """Ask the grid operator, through the hub, to disconnect (``DISCONNECT``) or reconnect
    (``CONNECT``) a point; its answers arrive with :func:`sync`. ``billing_account_id``: the
    account whose unpaid invoices the request is for (dunning)."""
    if action not in hub_queries.CONNECTION_ACTIONS:
        raise UnableToRequestConnection(f"{action!r} is not CONNECT or DISCONNECT")
    if not reason.strip():
        raise UnableToRequestConnection("A connection-state request needs a reason.")
    answer = hub.initiate_connection_state(
        {"meterEic": metering_point.eic, "state": action, "comment": reason[:500]}
    )
    request_id = str(answer.get("requestId") or answer.get("id") or "")
    if not request_id:
        raise UnableToRequestConnection(f"The hub answered without a requestId: {answer!r:.200}")
    return hub_operations.record_connection_request(
        point=metering_point,
        action=action,
        request_id=request_id,
        reason=reason,
        user=user,
        now=now,
        billing_account_id=billing_account_id,
    )
