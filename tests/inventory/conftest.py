import pytest

from .invariants import stock_invariant_violations


@pytest.fixture(autouse=True)
def stock_stays_consistent(db):
    """Every scenario ends with counters equal to the ledger and nothing over-reserved.

    It depends on ``db`` so it checks before the test's transaction is rolled back.
    """
    yield
    assert stock_invariant_violations() == []
