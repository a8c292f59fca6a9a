"""Bulk actions on the work queues: dunning holds lifted together (all or none, each checked
like the single lift and audited on its own), and payments in suspense allocated together
where it is safe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from cases_factories import hold_on, holder, in_role, signed_in
from receivables_factories import AS_OF, credit, our_bank_account, statement_file
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import roles
from vool.domain.cases.models import Case
from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.receivables import dunning
from vool.domain.receivables.models import Allocation, DunningHold, Payment
from vool.domain.receivables.operations import UnableToAllocate
from vool.usecases import case_work, import_bank_statement
from vool.usecases.backoffice_actions import NotAllowed
from vool.usecases.freeze import FrozenNow

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 9)


@pytest.fixture
def two_holds() -> tuple[Any, Any, list[DunningHold]]:
    mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "10.00")
    return mari, jaan, [hold_on(mari, "Medical equipment"), hold_on(jaan, "Hospital")]


def end_all(user: Any, ids: list[int], reason: str = "Recovered") -> list[DunningHold]:
    return case_work.end_dunning_holds(
        user=user, hold_ids=ids, reason=reason, now=NOW, request_id="req-7"
    )


class TestLiftHoldsInBulk:
    def test_each_hold_ends_today_with_its_own_audit_row(self, two_holds: Any) -> None:
        mari, jaan, holds = two_holds
        ene = in_role("ene", roles.FINANCE)
        ended = end_all(ene, [h.pk for h in reversed(holds)])
        assert [(h.pk, h.valid_to) for h in ended] == [(h.pk, TODAY) for h in holds]
        rows = AuditEntry.objects.filter(action="receivables.end_hold").order_by("object_id")
        assert [(r.object_id, r.customer_id, r.reason, r.request_id, r.user) for r in rows] == [
            (str(holds[0].pk), mari.customer.pk, "Recovered", "req-7", ene),
            (str(holds[1].pk), jaan.customer.pk, "Recovered", "req-7", ene),
        ]

    def test_one_that_cannot_be_lifted_refuses_all_naming_each(self, two_holds: Any) -> None:
        _mari, _jaan, holds = two_holds
        ene = in_role("ene", roles.FINANCE)
        dunning.end_hold(hold_id=holds[1].pk, on=dt.date(2026, 11, 2))
        with (
            translation.override("en"),
            pytest.raises(dunning.UnableToHold) as refused,
        ):
            end_all(ene, [holds[0].pk, holds[1].pk, 99999])
        assert str(refused.value) == (
            f"No hold was ended: hold {holds[1].pk} ended on 11/02/2026; there is no hold 99999."
        )
        assert DunningHold.objects.get(pk=holds[0].pk).valid_to is None
        assert not AuditEntry.objects.filter(action="receivables.end_hold").exists()

    def test_the_refusal_in_estonian(self, two_holds: Any) -> None:
        with (
            translation.override("et"),
            pytest.raises(
                dunning.UnableToHold,
                match=r"^Ühtki peatamist ei lõpetatud: peatamist 4242 ei ole\.$",
            ),
        ):
            end_all(in_role("ene", roles.FINANCE), [4242])

    def test_a_reason_and_a_choice_are_needed(self, two_holds: Any) -> None:
        ene = in_role("ene", roles.FINANCE)
        with translation.override("en"), pytest.raises(dunning.UnableToHold, match="Say why"):
            end_all(ene, [two_holds[2][0].pk], reason=" ")
        with translation.override("en"), pytest.raises(dunning.UnableToHold, match="Choose"):
            end_all(ene, [])

    def test_an_agent_may_not_and_nothing_ends(self, two_holds: Any) -> None:
        with pytest.raises(NotAllowed, match="may not end dunning holds"):
            end_all(in_role("kati", roles.AGENT), [h.pk for h in two_holds[2]])
        assert DunningHold.objects.filter(valid_to__isnull=True).count() == 2

    def test_refused_during_the_freeze(self, two_holds: Any) -> None:
        case_work.switch_freeze_on(
            user=in_role("admin", roles.ADMINISTRATOR), message="Moving", now=NOW
        )
        with pytest.raises(FrozenNow):
            end_all(in_role("ene", roles.FINANCE), [h.pk for h in two_holds[2]])
        assert DunningHold.objects.filter(valid_to__isnull=True).count() == 2

    def test_from_the_queue_page(self, two_holds: Any) -> None:
        holds = two_holds[2]
        client = signed_in(in_role("ene", roles.FINANCE))
        page = client.get("/backoffice/queues/holds/").content.decode()
        assert 'name="end_chosen"' in page
        done = client.post(
            "/backoffice/queues/holds/?kind=VULNERABLE",
            {"selected": [h.pk for h in holds], "end_chosen": "1", "reason": "Recovered"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        assert "2 holds ended." in done.content.decode()
        assert DunningHold.objects.filter(valid_to=timezone.localdate()).count() == 2


def dispute(who: Any) -> Case:
    """A bill dispute on ``who``'s invoice, registered by phone: it holds the invoice's
    dunning while it is open."""
    return case_work.register_case(
        user=in_role("kati", roles.AGENT),
        new=case_work.NewCase(
            who.customer.pk, "PHONE", "BILL_DISPUTE", "Too high", invoice_id=who.invoice.pk
        ),
        now=NOW,
    )


class TestDisputeHolds:
    """The hold a bill dispute puts on its invoice ends when the request is resolved, never
    on its own while the request is open: the single and the bulk lift refuse it, naming the
    request."""

    def test_the_single_lift_is_refused_naming_the_request(self, two_holds: Any) -> None:
        case = dispute(two_holds[0])
        with translation.override("en"), pytest.raises(dunning.UnableToHold) as refused:
            case_work.end_dunning_hold(
                user=in_role("ene", roles.FINANCE),
                hold_id=case.dunning_hold_id,
                reason="Paid meanwhile",
                now=NOW,
            )
        assert str(refused.value) == (
            f"The hold was not ended: hold {case.dunning_hold_id} is the dunning hold of the "
            f"open request #{case.pk} (Too high): it ends when the request is resolved."
        )
        assert DunningHold.objects.get(pk=case.dunning_hold_id).valid_to is None
        assert not AuditEntry.objects.filter(action="receivables.end_hold").exists()

    def test_the_bulk_lift_refuses_all_naming_the_request_in_estonian(self, two_holds: Any) -> None:
        case = dispute(two_holds[0])
        other = two_holds[2][0]
        with (
            translation.override("et"),
            pytest.raises(dunning.UnableToHold, match=rf"#{case.pk} \(Too high\)") as refused,
        ):
            end_all(in_role("ene", roles.FINANCE), [other.pk, case.dunning_hold_id])
        assert str(refused.value).startswith("Ühtki peatamist ei lõpetatud: ")
        assert "see lõpeb, kui pöördumine lahendatakse" in str(refused.value)
        assert DunningHold.objects.filter(valid_to__isnull=True).count() == 3

    def test_ended_when_the_request_is_resolved_then_liftable_no_more(self, two_holds: Any) -> None:
        case = dispute(two_holds[0])
        case_work.change_status(
            user=in_role("mati", roles.AGENT),
            case_id=case.pk,
            status="RESOLVED",
            resolution="Explained",
            now=NOW,
        )
        # begun today, it ends the day after (a period is never empty)
        assert DunningHold.objects.get(pk=case.dunning_hold_id).valid_to == TODAY + dt.timedelta(1)
        with translation.override("en"), pytest.raises(dunning.UnableToHold, match="ended on"):
            end_all(in_role("ene", roles.FINANCE), [case.dunning_hold_id])

    def test_the_queue_names_the_request_instead_of_an_end_button(self, two_holds: Any) -> None:
        case = dispute(two_holds[0])
        client = signed_in(in_role("ene", roles.FINANCE))
        page = client.get("/backoffice/queues/holds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        row = page[page.index(f'value="{case.dunning_hold_id}"') :].split("</tr>")[0]
        assert f"Ends when request #{case.pk} is resolved" in row
        assert 'name="hold"' not in row
        assert page.count('<input type="hidden" name="hold"') == 2  # the two other holds
        done = client.post(
            "/backoffice/queues/holds/",
            {"selected": [case.dunning_hold_id], "end_chosen": "1", "reason": "Paid"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        assert f"open request #{case.pk}" in done.content.decode()
        assert DunningHold.objects.get(pk=case.dunning_hold_id).valid_to is None

    def test_the_admin_shows_it_but_does_not_change_it(self, two_holds: Any) -> None:
        case = dispute(two_holds[0])
        other = two_holds[2][0]
        client = signed_in(
            get_user_model().objects.create_superuser("root", "root@example.ee", "x")
        )
        url = f"/admin/receivables/dunninghold/{case.dunning_hold_id}/change/"
        shown = client.get(url)
        assert shown.status_code == 200 and b'name="valid_to"' not in shown.content  # read-only
        data = {"kind": "DISPUTED", "reason": "x", "valid_from": "2026-11-09"}
        assert client.post(url, {**data, "valid_to": "2026-11-10"}).status_code == 403
        assert DunningHold.objects.get(pk=case.dunning_hold_id).valid_to is None
        assert client.post(url.replace("change", "delete"), {"post": "yes"}).status_code == 403
        # another hold stays editable there
        assert client.get(f"/admin/receivables/dunninghold/{other.pk}/change/").status_code == 200
        assert (
            b'name="valid_to"'
            in client.get(f"/admin/receivables/dunninghold/{other.pk}/change/").content
        )


@pytest.fixture
def in_suspense(tmp_path: Path) -> Any:
    """Four payments in suspense (no structured reference): Mari's reference number in the
    text of one, Jaan's former (legacy) one in another's, both in a third's, none in the
    fourth's."""
    mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "10.00")
    FormerReferenceNumber.objects.create(
        account=jaan.account, reference_number="1234561", replaced_on=dt.date(2026, 1, 1)
    )
    our_bank_account()
    ref = mari.account.reference_number
    path = statement_file(
        tmp_path / "s.xml",
        credit("S1", "42.50", text=f"elekter viitenumber {ref}"),
        credit("S2", "10.00", text="vana viitenumber 1234561 nov"),
        credit("S3", "5.00", text=f"{ref} ja 1234561"),
        credit("S4", "7.00", text="elektri eest"),
    )
    import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
    payments = {p.entry_key: p for p in Payment.objects.all()}
    assert {p.status for p in payments.values()} == {Payment.Status.SUSPENSE}
    return mari, jaan, payments


def allocate(user: Any, ids: list[int], how: str, reference: str = "") -> Any:
    return case_work.allocate_suspense_in_bulk(
        user=user,
        payment_ids=ids,
        how=how,
        reason="Reference number in the text",
        reference_number=reference,
        now=NOW,
        request_id="req-9",
    )


class TestAllocateSuspenseInBulk:
    def test_each_to_the_account_whose_number_it_carries_new_or_former(
        self, in_suspense: Any
    ) -> None:
        mari, jaan, payments = in_suspense
        ene = in_role("ene", roles.FINANCE)
        done = allocate(ene, [payments["S2"].pk, payments["S1"].pk], case_work.REFERENCE_IN_TEXT)
        assert [(d.payment_id, d.reference_number, d.amount) for d in done] == [
            (payments["S1"].pk, mari.account.reference_number, Decimal("42.50")),
            (payments["S2"].pk, jaan.account.reference_number, Decimal("10.00")),
        ]
        statuses = dict(Payment.objects.values_list("entry_key", "status"))
        assert statuses == {
            "S1": "ALLOCATED",
            "S2": "ALLOCATED",
            "S3": "SUSPENSE",
            "S4": "SUSPENSE",
        }
        assert sorted(
            Allocation.objects.filter(amount__gt=0).values_list("billing_account_id", "amount")
        ) == sorted([(mari.account.pk, Decimal("42.50")), (jaan.account.pk, Decimal("10.00"))])
        rows = AuditEntry.objects.filter(action="receivables.allocate_suspense").order_by("pk")
        assert [(r.object_id, r.customer_id, r.request_id, r.after["found_by"]) for r in rows] == [
            (str(payments["S1"].pk), mari.customer.pk, "req-9", "REFERENCE_IN_TEXT"),
            (str(payments["S2"].pk), jaan.customer.pk, "req-9", "REFERENCE_IN_TEXT"),
        ]

    def test_none_or_two_accounts_named_refuses_all(self, in_suspense: Any) -> None:
        _mari, _jaan, payments = in_suspense
        ids = [payments[k].pk for k in ("S1", "S3", "S4")]
        with translation.override("en"), pytest.raises(UnableToAllocate) as refused:
            allocate(in_role("ene", roles.FINANCE), ids, case_work.REFERENCE_IN_TEXT)
        assert str(refused.value) == (
            f"No payment was allocated: payment {ids[1]} names 2 accounts' reference numbers; "
            f"payment {ids[2]} names no account's reference number."
        )
        assert not Allocation.objects.exists() and not AuditEntry.objects.exists()

    def test_all_to_the_account_the_clerk_names_by_its_former_number(
        self, in_suspense: Any
    ) -> None:
        _mari, jaan, payments = in_suspense
        ids = [payments["S3"].pk, payments["S4"].pk]
        done = allocate(in_role("ene", roles.FINANCE), ids, case_work.NAMED_ACCOUNT, "1234561")
        assert {d.reference_number for d in done} == {jaan.account.reference_number}
        assert sum(d.amount for d in done) == Decimal("12.00")
        assert set(Allocation.objects.values_list("billing_account_id", flat=True)) == {
            jaan.account.pk
        }
        assert AuditEntry.objects.filter(action="receivables.allocate_suspense").count() == 2

    def test_an_unknown_number_or_a_payment_no_longer_in_suspense(self, in_suspense: Any) -> None:
        payments = in_suspense[2]
        ene = in_role("ene", roles.FINANCE)
        with translation.override("en"), pytest.raises(UnableToAllocate, match="No billing"):
            allocate(ene, [payments["S4"].pk], case_work.NAMED_ACCOUNT, "9999999999")
        allocate(ene, [payments["S1"].pk], case_work.REFERENCE_IN_TEXT)
        with (
            translation.override("et"),
            pytest.raises(UnableToAllocate, match=f"makse {payments['S1'].pk} ei ole selgitamisel"),
        ):
            allocate(
                ene, [payments["S1"].pk, payments["S4"].pk], case_work.NAMED_ACCOUNT, "1234561"
            )
        assert Payment.objects.get(entry_key="S4").status == "SUSPENSE"

    def test_an_agent_may_not(self, in_suspense: Any) -> None:
        with pytest.raises(NotAllowed, match="may not allocate"):
            allocate(
                in_role("kati", roles.AGENT),
                [in_suspense[2]["S1"].pk],
                case_work.REFERENCE_IN_TEXT,
            )
        assert not Allocation.objects.exists()

    def test_from_the_queue_page(self, in_suspense: Any) -> None:
        payments = in_suspense[2]
        client = signed_in(in_role("ene", roles.FINANCE))
        assert (
            'value="REFERENCE_IN_TEXT"'
            in client.get("/backoffice/queues/suspense/").content.decode()
        )
        done = client.post(
            "/backoffice/queues/suspense/",
            {
                "selected": [payments["S1"].pk, payments["S2"].pk],
                "bulk_allocate": "REFERENCE_IN_TEXT",
                "reason": "Reference numbers in the text",
            },
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        assert "2 payments allocated, €52.50 in all." in done.content.decode()
