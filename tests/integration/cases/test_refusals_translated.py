# ruff: noqa: RUF001 - the Russian messages are Cyrillic on purpose
"""The domain's refusals reach the back office in the clerk's language (et, ru, en): the page
shows the Estonian and the Russian text, with numbers, money and dates as the language writes
them, and a count message takes the language's plural form (Russian has three)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import ngettext

from cases_factories import holder, in_role, signed_in
from receivables_factories import AS_OF, credit, our_bank_account, statement_file
from vool.domain.billing import operations as billing_operations
from vool.domain.cases import roles
from vool.domain.receivables import dunning, operations
from vool.domain.receivables.models import DunningHold, Payment
from vool.usecases import import_bank_statement

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


def hold_on(account_id: int) -> DunningHold:
    return dunning.add_hold(
        kind="VULNERABLE",
        reason="Medical equipment",
        by="x",
        valid_from=dt.date(2026, 1, 1),
        valid_to=None,
        as_of=NOW,
        billing_account_id=account_id,
    )


class TestAHoldEndedAlready:
    @pytest.mark.parametrize(
        ("language", "shown"),
        [
            ("et", "Meeldetuletuste peatamine {pk} lõppes juba 02.11.2026."),
            ("ru", "Приостановка напоминаний {pk} уже завершилась 02.11.2026."),
            ("en", "Dunning hold {pk} already ended on 11/02/2026."),
        ],
    )
    def test_the_queue_page_says_so_in_the_clerks_language(self, language: str, shown: str) -> None:
        hold = hold_on(holder("mari", 26000001, "42.50").account.pk)
        dunning.end_hold(hold_id=hold.pk, on=dt.date(2026, 11, 2))
        page = signed_in(in_role("ene", roles.FINANCE)).post(
            "/backoffice/queues/holds/",
            {"hold": hold.pk, "reason": "Recovered"},
            HTTP_ACCEPT_LANGUAGE=language,
            follow=True,
        )
        assert shown.format(pk=hold.pk) in page.content.decode()

    def test_the_day_it_ends_as_russian_writes_it(self) -> None:
        hold = hold_on(holder("mari", 26000001, "42.50").account.pk)
        page = signed_in(in_role("ene", roles.FINANCE)).post(
            "/backoffice/queues/holds/",
            {"hold": hold.pk, "reason": "Recovered"},
            HTTP_ACCEPT_LANGUAGE="ru",
            follow=True,
        )
        day = DunningHold.objects.get(pk=hold.pk).valid_to
        assert day is not None
        assert f"Приостановка завершается {day:%d.%m.%Y}." in page.content.decode()

    def test_the_refusal_keeps_its_type(self) -> None:
        with (
            translation.override("ru"),
            pytest.raises(dunning.UnableToHold, match=r"^Приостановки напоминаний 4242 нет\.$"),
        ):
            dunning.end_hold(hold_id=4242, on=dt.date(2026, 11, 2))


class TestASuspensePaymentAllocatedAlready:
    @pytest.mark.parametrize(
        ("language", "shown"),
        [
            (
                "et",
                "Arvelduskonto {pk} summa peab olema positiivne ja täissentides, mitte 0,00\xa0€.",
            ),
            (
                "ru",
                "Сумма для расчётного счёта {pk} должна быть положительной и в целых центах, "
                "а не 0,00\xa0€.",
            ),
        ],
    )
    def test_the_queue_page_says_so_with_the_amount(
        self, tmp_path: Path, language: str, shown: str
    ) -> None:
        mari = holder("mari", 26000001, "42.50")
        our_bank_account()
        path = statement_file(tmp_path / "s.xml", credit("S1", "42.50", text="elektri eest"))
        import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
        payment = Payment.objects.get()
        client = signed_in(in_role("ene", roles.FINANCE))
        posted = {"payment": payment.pk, "account": mari.account.pk, "reason": "Phoned"}
        client.post("/backoffice/queues/suspense/", posted)
        assert Payment.objects.get().status != Payment.Status.SUSPENSE
        page = client.post(
            "/backoffice/queues/suspense/", posted, HTTP_ACCEPT_LANGUAGE=language, follow=True
        )
        assert shown.format(pk=mari.account.pk) in page.content.decode()

    def test_more_than_is_in_suspense_in_russian(self, tmp_path: Path) -> None:
        mari = holder("mari", 26000001, "42.50")
        our_bank_account()
        path = statement_file(tmp_path / "s.xml", credit("S1", "1234.50", text="elektri eest"))
        import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
        payment = Payment.objects.get()
        with (
            translation.override("ru"),
            pytest.raises(operations.UnableToAllocate) as refused,
        ):
            operations.allocate_from_suspense(
                payment_id=payment.pk,
                parts=[operations.Part(mari.account.pk, Decimal("2000.00"))],
                by="ene",
                reason="Phoned",
                as_of=NOW,
            )
        assert str(refused.value) == (
            f"У платежа {payment.pk} в ожидании выяснения 1\xa0234,50\xa0€; "
            "отнести 2\xa0000,00\xa0€ нельзя."
        )


class TestARequestWithoutItsInvoice:
    @pytest.mark.parametrize(
        ("language", "shown"),
        [
            ("et", "Arve vaidlustamisel tuleb nimetada vaidlustatud arve."),
            ("ru", "В споре по счёту указывается оспариваемый счёт."),
            ("en", "A bill dispute names the disputed invoice."),
        ],
    )
    def test_the_form_says_so(self, language: str, shown: str) -> None:
        mari = holder("mari", 26000001, "42.50")
        page = signed_in(in_role("kati", roles.AGENT)).post(
            f"/backoffice/customers/{mari.customer.pk}/cases/new/",
            {"channel": "PHONE", "case_type": "BILL_DISPUTE", "subject": "Too high"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert page.status_code == 200
        assert shown in page.content.decode()


def test_crediting_a_cancelled_invoice_names_the_statuses_in_estonian() -> None:
    mari = holder("mari", 26000001, "42.50")
    type(mari.invoice).objects.filter(pk=mari.invoice.pk).update(status="CANCELLED")
    with (
        translation.override("et"),
        pytest.raises(billing_operations.UnableToCreditInvoice) as refused,
    ):
        billing_operations.credit_invoice(
            number=26000001, reason="Wrong", today=NOW.date(), now=NOW
        )
    assert str(refused.value) == "Arve 26000001 olek on Tühistatud, mitte Väljastatud."


class TestCountsInRussian:
    @pytest.mark.parametrize(
        ("count", "shown"),
        [
            (1, "Назначен 1 элемент."),
            (3, "Назначено 3 элемента."),
            (5, "Назначено 5 элементов."),
        ],
    )
    def test_items_assigned_on_the_queue_page(self, count: int, shown: str) -> None:
        account = holder("mari", 26000001, "42.50").account.pk
        holds = [hold_on(account) for _ in range(count)]
        page = signed_in(in_role("ene", roles.FINANCE)).post(
            "/backoffice/queues/holds/",
            {"selected": [h.pk for h in holds], "assign": "me"},
            HTTP_ACCEPT_LANGUAGE="ru",
            follow=True,
        )
        assert shown in page.content.decode()

    @pytest.mark.parametrize(
        ("count", "et", "ru"),
        [
            (1, "Lõpetatud 1 peatamine.", "Завершена 1 приостановка."),
            (3, "Lõpetatud peatamisi: 3.", "Завершено 3 приостановки."),
            (5, "Lõpetatud peatamisi: 5.", "Завершено 5 приостановок."),
            (21, "Lõpetatud peatamisi: 21.", "Завершена 21 приостановка."),
        ],
    )
    def test_holds_ended(self, count: int, et: str, ru: str) -> None:
        def ended() -> str:
            return ngettext("%(n)s hold ended.", "%(n)s holds ended.", count) % {"n": count}

        with translation.override("et"):
            assert ended() == et
        with translation.override("ru"):
            assert ended() == ru
