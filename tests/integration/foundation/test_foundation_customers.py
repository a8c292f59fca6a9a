from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from factories import BillingAccountFactory, PersonFactory
from vool.common import identifiers
from vool.domain.customers import operations
from vool.domain.customers.models import BillingAccount, Customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """These tests read the English messages; the Estonian ones are tested in the admin."""
    with translation.override("en"):
        yield


class TestCreateCustomer:
    def test_person_gets_a_billing_account_with_a_valid_reference_number(self):
        customer = operations.create_customer(
            kind="PERSON", name="Mari Maasikas", personal_code="36805280109"
        )
        (account,) = customer.billing_accounts.all()
        assert identifiers.is_valid_reference_number(account.reference_number)
        assert account.reference_number == identifiers.make_reference_number(100000)
        # 7-3-1 by hand: base 100000 -> 1*1 = 1 -> check 9
        assert account.reference_number == "1000009"

    def test_reference_numbers_are_consecutive_and_unique(self):
        numbers = operations.allocate_reference_numbers(count=3)
        more = operations.allocate_reference_numbers(count=2)
        # 100000 -> 9; 100001 -> 7+1=8 -> 2; 100002 -> 14+1=15 -> 5;
        # 100003 -> 21+1=22 -> 8; 100004 -> 28+1=29 -> 1
        assert numbers == ["1000009", "1000012", "1000025"]
        assert more == ["1000038", "1000041"]

    def test_invalid_personal_code_names_the_field_and_writes_nothing(self):
        with pytest.raises(operations.InvalidCustomer) as caught:
            operations.create_customer(
                kind="PERSON", name="Mari Maasikas", personal_code="36805280108"
            )
        assert "personal_code" in caught.value.message_dict
        assert "check digit" in caught.value.message_dict["personal_code"][0].lower()
        assert Customer.objects.count() == 0
        assert BillingAccount.objects.count() == 0

    def test_business_needs_a_registry_code(self):
        with pytest.raises(operations.InvalidCustomer) as caught:
            operations.create_customer(kind="BUSINESS", name="Firma OÜ")
        assert "registry_code" in caught.value.message_dict

    def test_business_with_vat_number(self):
        customer = operations.create_customer(
            kind="BUSINESS", name="Firma OÜ", registry_code="12345678", vat_number="EE100594102"
        )
        assert customer.vat_number == "EE100594102"

    def test_person_cannot_have_a_vat_number(self):
        with pytest.raises(operations.InvalidCustomer) as caught:
            operations.create_customer(
                kind="PERSON", name="Mari", personal_code="36805280109", vat_number="EE100594102"
            )
        assert "vat_number" in caught.value.message_dict

    def test_database_refuses_a_person_without_personal_code(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Customer.objects.create(kind="PERSON", name="Nobody", personal_code=None)


class TestBillingAccount:
    def test_invalid_reference_number_is_refused_with_the_field_named(self):
        customer = PersonFactory()
        with pytest.raises(Exception) as caught:
            operations.create_billing_account(customer=customer, reference_number="121312953")
        assert "reference_number" in caught.value.message_dict  # type: ignore[attr-defined]
        assert "expected 2" in str(caught.value)
        assert BillingAccount.objects.count() == 0

    def test_a_valid_migrated_reference_number_is_kept(self):
        customer = PersonFactory()
        account = operations.create_billing_account(customer=customer, reference_number="121312952")
        assert account.reference_number == "121312952"

    def test_reference_numbers_are_unique_in_the_database(self):
        BillingAccountFactory(reference_number="121312952")
        with pytest.raises(IntegrityError), transaction.atomic():
            BillingAccountFactory(reference_number="121312952")
