"""UPU S10 tracking numbers: check digits, validation, unique serials under concurrency."""

import threading

import pytest
from django.db import connection

from oms.errors import DomainError, InvalidInput
from shipping.models import Carrier
from shipping.s10 import s10_check_digit, s10_format, s10_is_valid, s10_problem
from shipping.services import tracking_number_issue


def test_the_standards_worked_example():
    # UPU S10's example: serial 47312482, weighted sum 200, 11 - (200 mod 11) = 9.
    assert s10_check_digit("47312482") == 9
    assert s10_format("RR", 47312482, "GB") == "RR473124829GB"
    assert s10_is_valid("RR473124829GB")


def test_a_check_of_10_becomes_0_and_11_becomes_5():
    assert s10_check_digit("00000008") == 0  # 8 × 7 = 56; 56 mod 11 = 1; 11 - 1 = 10 -> 0
    assert s10_check_digit("00000000") == 5  # sum 0; 11 - 0 = 11 -> 5


def test_the_validator_names_what_is_wrong():
    assert s10_problem("RR473124828GB") == "RR473124828GB has check digit 8; the serial 47312482 needs 9."
    assert "not shaped like an S10 number" in s10_problem("RR47312482GB")
    assert not s10_is_valid("rr473124829gb")
    with pytest.raises(ValueError):
        s10_check_digit("4731248")


@pytest.fixture
def post(db):
    return Carrier.objects.create(code="post", name="Post", s10_service_indicator="CP", s10_country="US", s10_serial_first=1000, s10_serial_last=1002)


def test_tracking_numbers_come_in_order_within_the_range_until_it_is_used_up(post):
    numbers = [tracking_number_issue(carrier_code="post", actor="test") for _ in range(3)]

    assert [n[2:10] for n in numbers] == ["00001000", "00001001", "00001002"]
    assert all(s10_is_valid(n) and n.startswith("CP") and n.endswith("US") for n in numbers)
    with pytest.raises(DomainError, match="issued every serial up to 00001002"):
        tracking_number_issue(carrier_code="post", actor="test")


def test_moving_the_range_up_moves_the_next_serial_with_it(post):
    tracking_number_issue(carrier_code="post", actor="test")
    Carrier.objects.filter(pk=post.pk).update(s10_serial_first=5000, s10_serial_last=6000)

    assert tracking_number_issue(carrier_code="post", actor="test")[2:10] == "00005000"


def test_a_carrier_without_s10_settings_is_told_what_to_set(db):
    Carrier.objects.create(code="plain", name="Plain")

    with pytest.raises(InvalidInput, match="set them on the carrier"):
        tracking_number_issue(carrier_code="plain", actor="test")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_shipments_never_share_a_tracking_number():
    Carrier.objects.create(code="busy", name="Busy", s10_service_indicator="CP", s10_country="US")
    threads, per_thread = 8, 25
    issued, errors = [], []
    start = threading.Barrier(threads)

    def worker():
        try:
            start.wait()
            for _ in range(per_thread):
                issued.append(tracking_number_issue(carrier_code="busy", actor="test"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    assert errors == []
    assert len(issued) == threads * per_thread
    assert len(set(issued)) == len(issued)
    assert sorted(int(n[2:10]) for n in issued) == list(range(1, threads * per_thread + 1))
