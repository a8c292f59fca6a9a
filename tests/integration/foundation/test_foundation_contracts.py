from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from factories import (
    BillingAccountFactory,
    MeteringPointFactory,
    ProductFactory,
    SupplyContractFactory,
)
from vool.domain.contracts import operations
from vool.domain.contracts.models import SupplyContract

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return MeteringPointFactory()


@pytest.fixture
def account():
    return BillingAccountFactory()


def sign(account, point, start, end=None):
    return operations.create_contract(
        customer=account.customer,
        billing_account=account,
        metering_point=point,
        product=ProductFactory(),
        valid_from=start,
        valid_to=end,
    )


class TestCreateContract:
    def test_consecutive_contracts_touch_without_overlap(self, account, point):
        sign(account, point, dt.date(2025, 1, 1), dt.date(2025, 7, 1))
        second = sign(account, point, dt.date(2025, 7, 1))
        assert second.valid_to is None
        assert SupplyContract.objects.count() == 2

    def test_overlapping_contract_is_refused_naming_the_field(self, account, point):
        sign(account, point, dt.date(2025, 1, 1), dt.date(2025, 7, 1))
        with translation.override("en"), pytest.raises(operations.UnableToCreateContract) as caught:
            sign(account, point, dt.date(2025, 6, 30))
        assert "valid_from" in caught.value.message_dict
        # the message is translated, the date written as the language writes it
        assert "01/01/2025" in caught.value.message_dict["valid_from"][0]
        assert SupplyContract.objects.count() == 1

    def test_open_ended_contract_blocks_later_ones(self, account, point):
        sign(account, point, dt.date(2025, 1, 1))
        with pytest.raises(operations.UnableToCreateContract):
            sign(account, point, dt.date(2030, 1, 1), dt.date(2030, 2, 1))

    def test_a_cancelled_contract_does_not_block(self, account, point):
        first = sign(account, point, dt.date(2025, 1, 1))
        SupplyContract.objects.filter(pk=first.pk).update(status="CANCELLED")
        second = sign(account, point, dt.date(2025, 1, 1))
        # the new contract is saved beside the cancelled one, over the same days
        assert second.pk != first.pk
        assert sorted(
            SupplyContract.objects.filter(metering_point=point).values_list(
                "status", "valid_from", "valid_to"
            )
        ) == [
            ("ACTIVE", dt.date(2025, 1, 1), None),
            ("CANCELLED", dt.date(2025, 1, 1), None),
        ]

    def test_end_before_start_is_refused(self, account, point):
        with pytest.raises(operations.UnableToCreateContract) as caught:
            sign(account, point, dt.date(2025, 2, 1), dt.date(2025, 1, 1))
        assert "valid_to" in caught.value.message_dict

    def test_billing_account_must_belong_to_the_customer(self, point):
        other = BillingAccountFactory()
        with pytest.raises(operations.UnableToCreateContract) as caught:
            operations.create_contract(
                customer=BillingAccountFactory().customer,
                billing_account=other,
                metering_point=point,
                product=ProductFactory(),
                valid_from=dt.date(2025, 1, 1),
            )
        assert "billing_account" in caught.value.message_dict


class TestSaveContract:
    """``save_contract``: the one locked write path (sign-ups and the admin)."""

    def test_a_change_that_would_overlap_is_refused_and_not_saved(self, account, point):
        sign(account, point, dt.date(2025, 1, 1), dt.date(2025, 7, 1))
        later = sign(account, point, dt.date(2025, 7, 1))
        later.valid_from = dt.date(2025, 3, 1)  # as a form whose check was passed earlier
        with pytest.raises(operations.UnableToCreateContract):
            operations.save_contract(contract=later)
        later.refresh_from_db()
        assert later.valid_from == dt.date(2025, 7, 1)

    def test_a_contract_can_be_changed_without_clashing_with_itself(self, account, point):
        contract = sign(account, point, dt.date(2025, 1, 1))
        contract.valid_to = dt.date(2025, 12, 1)
        operations.save_contract(contract=contract)
        contract.refresh_from_db()
        assert contract.valid_to == dt.date(2025, 12, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint is PostgreSQL")
class TestExclusionConstraint:
    def test_database_refuses_overlap_even_past_the_operation(self, point):
        SupplyContractFactory(metering_point=point, valid_from=dt.date(2025, 1, 1))
        with pytest.raises(IntegrityError), transaction.atomic():
            SupplyContractFactory(metering_point=point, valid_from=dt.date(2025, 3, 1))
