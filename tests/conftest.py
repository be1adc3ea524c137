import pytest
from django.db import connection

from inventory.services import stock_receive

from .browser.artifacts import browser_artifacts_choose, browser_artifacts_summary
from .factories import ChannelFactory, LocationFactory, ProductFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` prove concurrency guarantees; elsewhere they are skipped, loudly."""
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def web_channel(db):
    return ChannelFactory(code="web")


@pytest.fixture
def warehouse(db):
    return LocationFactory(code="chicago", name="Chicago DC", city="Chicago", latitude=41.85, longitude=-87.65)


@pytest.fixture
def stocked(db, warehouse, web_channel):
    """A factory: ``stocked("SKU-A", 5)`` creates the product and receives 5 at the warehouse."""

    def make(sku: str, quantity: int, location=None, **product_fields):
        product = ProductFactory(sku=sku, **product_fields)
        if quantity:
            stock_receive(sku=sku, location=(location or warehouse).code, quantity=quantity, actor="test")
        return product

    return make


@pytest.fixture(autouse=True)
def _forget_api_keys():
    """Each test starts with no API key remembered by the process (the cache is per process)."""
    from oms.api import authentication

    authentication._recent.clear()
    yield
    authentication._recent.clear()


@pytest.fixture(autouse=True)
def _forget_rate_card():
    """Each test routes and quotes on its own rate cards: the process's snapshot (kept up to
    ``OMS_ROUTING_RATES_MAX_AGE`` seconds without a check) must not carry over from another test."""
    from shipping.selectors import rate_card_forget

    rate_card_forget()
    yield
    rate_card_forget()


@pytest.fixture
def process_caches_held(settings):
    """For tests that compare query counts: nothing a process keeps for a few seconds (webhook
    subscriptions, rate cards, channel stock rules, screening rules, the channels that push stock) may expire between two counts
    on a busy machine and add a query to one of them."""
    settings.OMS_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = 3600
    settings.OMS_ROUTING_RATES_MAX_AGE = 3600
    settings.OMS_CHANNEL_RULES_MAX_AGE = 3600
    settings.OMS_SCREENING_CACHE_SECONDS = 3600
    settings.OMS_API_KEY_CACHE_SECONDS = 3600
    settings.OMS_STOCK_SYNC_CHANNELS_MAX_AGE = 3600


@pytest.fixture(autouse=True)
def _forget_screening():
    """Each test screens with its own rules: the process's copy must not carry over from another test."""
    from orders.services import screening

    screening._setup = screening._Setup()
    yield
    screening._setup = screening._Setup()


@pytest.fixture(autouse=True)
def _forget_channel_rules():
    """Each test's orders meet its own channel stock rules and channels: the process's copies
    (kept up to ``OMS_CHANNEL_RULES_MAX_AGE`` seconds) must not carry over from another test."""
    from inventory.selectors import channel_pool_forget
    from orders.routing.config import routing_memo_clear

    channel_pool_forget()
    routing_memo_clear()
    yield
    channel_pool_forget()
    routing_memo_clear()


def pytest_configure(config):
    """The browser tests' screenshot folder is chosen here, before pytest-xdist starts its
    workers, so that they all write to one folder."""
    browser_artifacts_choose()


def pytest_terminal_summary(terminalreporter):
    """The run's log ends by naming the folder of the browser tests' screenshots."""
    browser_artifacts_summary(terminalreporter)


@pytest.fixture(autouse=True)
def _no_send_task_waiting():
    """A send task asked for by another test (the cache is per process) must not swallow this
    test's messages: each test starts with none waiting."""
    from django.core.cache import cache

    from portal.notifications.log import PENDING_KEY

    cache.delete(PENDING_KEY)
    yield
