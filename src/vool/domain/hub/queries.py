"""Reads of the data hub's records: the agreements submitted for our contracts, and the
choices the sync needs by name."""

from __future__ import annotations

from typing import Final

from vool.domain.hub.models import AgreementSubmission, ConnectionRequest, HubEntry

ENTRY_KEPT: Final = HubEntry.Status.KEPT  # an entry kept for later, not handled
SUBMITTED: Final = AgreementSubmission.Status.SUBMITTED  # the agreement is in the hub
CANCELLED: Final = AgreementSubmission.Status.CANCELLED  # withdrawn by the customer
ENDED: Final = AgreementSubmission.Status.ENDED  # ended by the hub (another supplier)
CONNECTION_ACTIONS: Final = tuple(ConnectionRequest.Action.values)  # CONNECT, DISCONNECT


def submission_of_contract(*, contract_id: int) -> AgreementSubmission | None:
    """The supply agreement submitted for contract ``contract_id``, if any."""
    return AgreementSubmission.objects.filter(contract_id=contract_id).first()


def submission_by_agreement(*, agreement_id: str) -> AgreementSubmission | None:
    """Our submission that the hub knows as ``agreement_id``, if it is ours."""
    return AgreementSubmission.objects.filter(agreement_id=agreement_id).first()
