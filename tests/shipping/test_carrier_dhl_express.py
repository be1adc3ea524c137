"""DHL Express (MyDHL API) mapping, against recorded payloads written from DHL's documented
request and response shapes (tests/shipping/payloads/dhl_express/). No test touches the network:
the real transport may not even be built here."""

import base64
import datetime
import json
import zoneinfo
from decimal import Decimal as D
from pathlib import Path

import pytest

from oms.errors import InvalidInput
from shipping.carriers import ADAPTERS
from shipping.carriers import dhl_express as dhl
from shipping.carriers.base import ShipmentRequest
from shipping.rating import Address, Parcel

from .cards import carrier

PAYLOADS = Path(__file__).parent / "payloads" / "dhl_express"
PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")
CONFIG = dhl.DhlExpressConfig(username="apiuser", password="s3cret", account="123456789", base_url="https://dhl.test/mydhlapi")
SHIPPER = dhl.Party(name="Jan Novak", company="Warehouse s.r.o.", street_lines=("V Parku 2308/10",), city="Prague", postal_code="14800", country="cz", phone="+420123456789", email="ops@example.cz")
RECEIVER = dhl.Party(name="Mark Companer", street_lines=("1 Example Street", "Flat 2"), city="London", postal_code="SW1A 1AA", country="GB", phone="+441234567890", residential=True)
PARCELS = (Parcel("2.5", 30, 20, 15, declared_value="1500"), Parcel("1.234", 20, 20, 10, declared_value="500"))
SHIP_AT = datetime.datetime(2024, 5, 14, 10, 0, tzinfo=PRAGUE)


def payload(name: str):
    """A recorded answer, numbers read as the real transport reads them (Decimal)."""
    return json.loads((PAYLOADS / name).read_text(), parse_float=D)


def recorded_request(name: str):
    """A recorded request body, as plain JSON (what goes on the wire)."""
    return json.loads((PAYLOADS / name).read_text())


class FakeTransport:
    """Replays recorded answers and keeps every request it was given."""

    def __init__(self, *answers: tuple[int, object]):
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict, dict]] = []

    def post(self, url, json, headers):
        self.calls.append(("POST", url, json, headers))
        return self.answers.pop(0)

    def get(self, url, params, headers):
        self.calls.append(("GET", url, params, headers))
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to build the real HTTP transport")

    monkeypatch.setattr(dhl.RequestsTransport, "__init__", refuse)


def adapter(*answers, clock=lambda: datetime.datetime(2024, 5, 14, 8, 0, tzinfo=datetime.UTC)):
    transport = FakeTransport(*answers)
    card = carrier("dhl", currency="CZK", time_zone="Europe/Prague", services=())
    return dhl.DhlExpressCarrier(card, config=CONFIG, transport=transport, clock=clock), transport


def assert_same_fields(built, recorded, path="$"):
    """Field by field, so a difference names the field."""
    if isinstance(recorded, dict):
        assert isinstance(built, dict), path
        assert sorted(built) == sorted(recorded), f"{path}: keys {sorted(built)} != {sorted(recorded)}"
        for key in recorded:
            assert_same_fields(built[key], recorded[key], f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(built, list) and len(built) == len(recorded), path
        for index, (one, other) in enumerate(zip(built, recorded, strict=True)):
            assert_same_fields(one, other, f"{path}[{index}]")
    else:
        assert built == recorded and type(built) is not D, f"{path}: {built!r} != {recorded!r}"


# ---------------------------------------------------------------------------- requests


def test_rate_request_matches_the_recorded_request_field_by_field():
    built = dhl.rate_request(account="123456789", origin=SHIPPER, destination=RECEIVER, parcels=PARCELS, ship_at=SHIP_AT, time_zone="Europe/Prague", currency="CZK")

    assert_same_fields(built, recorded_request("rates_request.json"))
    json.dumps(built)  # plain JSON: no Decimal left for the transport to trip on


def test_shipment_request_matches_the_recorded_request_field_by_field():
    built = dhl.shipment_request(
        account="123456789", product_code="P", origin=SHIPPER, destination=RECEIVER, parcels=PARCELS,
        ship_at=datetime.datetime(2024, 5, 14, 8, 0, tzinfo=datetime.UTC), time_zone="Europe/Prague", currency="CZK", reference="FO-1001",
    )  # fmt: skip

    assert_same_fields(built, recorded_request("shipment_request.json"))


def test_planned_time_is_shipper_local_time_with_its_offset():
    winter = datetime.datetime(2024, 1, 10, 15, 30, tzinfo=datetime.UTC)
    assert dhl._planned_time(winter, "Europe/Prague") == "2024-01-10T16:30:00 GMT+01:00"
    assert dhl._planned_time(winter, "America/New_York") == "2024-01-10T10:30:00 GMT-05:00"


def test_weights_and_sides_go_out_with_at_most_three_decimals():
    body = dhl.rate_request(account="1", origin=SHIPPER, destination=SHIPPER, parcels=[Parcel("0.12345", "10.0004", 10, 10)], ship_at=SHIP_AT, time_zone="UTC", currency="CZK")

    assert body["packages"] == [{"weight": 0.123, "dimensions": {"length": 10, "width": 10, "height": 10}}]
    assert body["isCustomsDeclarable"] is False
    assert "monetaryAmount" not in body


def test_a_parcel_without_dimensions_is_refused_before_calling_dhl():
    dhl_adapter, transport = adapter()

    with pytest.raises(InvalidInput, match="parcel 2 has 0 × 0 × 0 cm"):
        dhl_adapter.quote(parcels=[PARCELS[0], Parcel("1")], origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT)
    assert transport.calls == []


def test_a_bare_address_is_refused_with_what_to_pass_instead():
    dhl_adapter, transport = adapter()

    with pytest.raises(InvalidInput, match="full address and contact.*dhl_express.Party, not Address"):
        dhl_adapter.quote(parcels=PARCELS, origin=Address("CZ", "14800"), destination=RECEIVER, ship_at=SHIP_AT)
    assert transport.calls == []


def test_a_shipment_without_a_phone_names_what_is_missing():
    no_phone = dhl.Party(name="Mark", street_lines=("1 Example Street",), city="London", postal_code="SW1A 1AA", country="GB")

    with pytest.raises(InvalidInput, match="receiver's phone") as refused:
        dhl.shipment_request(account="1", product_code="P", origin=SHIPPER, destination=no_phone, parcels=PARCELS, ship_at=SHIP_AT, time_zone="UTC", currency="CZK")
    assert refused.value.fields == {"receiver.phone": "required"}


# ---------------------------------------------------------------------------- quotes


def test_quote_posts_the_rate_request_with_basic_auth_and_parses_the_recorded_rates():
    dhl_adapter, transport = adapter((200, payload("rates_response.json")))

    quotes = dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT)

    method, url, body, headers = transport.calls[0]
    assert (method, url) == ("POST", "https://dhl.test/mydhlapi/rates")
    assert_same_fields(body, recorded_request("rates_request.json"))
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"apiuser:s3cret").decode()
    assert [(q.service, q.service_name, q.price, q.currency) for q in quotes] == [("P", "EXPRESS WORLDWIDE", D("3541.62"), "CZK"), ("K", "EXPRESS 9:00", D("5120.40"), "CZK")]
    worldwide = quotes.get("dhl:P")
    assert (worldwide.collection_date, worldwide.delivery_date, worldwide.transit_days) == (datetime.date(2024, 5, 14), datetime.date(2024, 5, 16), 2)
    assert (worldwide.billable_weight_kg, worldwide.parcels[0].dimensional_kg) == (D("3.734"), D("3.6"))
    assert worldwide.base == worldwide.price  # the quote's lines add up to its price
    assert [(u.key, u.reason) for u in quotes.unavailable] == [("dhl:Y", "DHL Express gave no price for EXPRESS 12:00 (Price can't be calculated)")]


def test_without_an_estimated_date_delivery_counts_transit_days_on_the_carrier_calendar():
    dhl_adapter, _ = adapter((200, payload("rates_response.json")))

    express_nine = dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT).get("dhl:K")

    assert (express_nine.collection_date, express_nine.delivery_date, express_nine.transit_days) == (datetime.date(2024, 5, 14), datetime.date(2024, 5, 15), 1)


def test_asking_for_some_services_filters_at_dhl_and_in_the_answer():
    dhl_adapter, transport = adapter((200, payload("rates_response.json")))

    quotes = dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT, services=["K"])

    assert transport.calls[0][2]["productsAndServices"] == [{"productCode": "K"}]
    assert [q.key for q in quotes] == ["dhl:K"] and quotes.unavailable == ()


def test_billing_currency_wins_over_the_other_currencies():
    answer = payload("rates_response.json")
    answer["products"][0]["totalPrice"].reverse()
    dhl_adapter, _ = adapter((200, answer))

    quote = dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT).get("dhl:P")

    assert (quote.price, quote.currency) == (D("3541.62"), "CZK")


# ---------------------------------------------------------------------------- shipments


def request(**changes) -> ShipmentRequest:
    fields = {"service": "P", "origin": SHIPPER, "destination": RECEIVER, "parcels": PARCELS, "reference": "FO-1001"} | changes
    return ShipmentRequest(**fields)


def test_create_shipment_posts_the_recorded_request_and_decodes_the_label():
    dhl_adapter, transport = adapter((201, payload("shipment_response.json")))

    created = dhl_adapter.create_shipment(request(), actor="test")

    method, url, body, _ = transport.calls[0]
    assert (method, url) == ("POST", "https://dhl.test/mydhlapi/shipments")
    assert_same_fields(body, recorded_request("shipment_request.json"))
    assert created.waybill_number == "1234567890"
    assert created.tracking_numbers == ("JD014600003889482921", "JD014600003889482922")
    assert created.label_pdf == b"%PDF-1.4\n% recorded DHL Express test label\n%%EOF\n"
    assert [type_code for type_code, _ in created.documents] == ["label", "waybillDoc"]


def test_a_given_hand_over_time_is_used_instead_of_now():
    dhl_adapter, transport = adapter((201, payload("shipment_response.json")))

    dhl_adapter.create_shipment(ShipmentRequest("P", SHIPPER, RECEIVER, PARCELS, ship_at=datetime.datetime(2024, 5, 15, 9, 30, tzinfo=PRAGUE)), actor="test")

    assert transport.calls[0][2]["plannedShippingDateAndTime"] == "2024-05-15T09:30:00 GMT+02:00"


def test_a_return_label_goes_from_the_customer_back_to_the_warehouse():
    dhl_adapter, transport = adapter((201, payload("shipment_response.json")))

    dhl_adapter.return_label(request(origin=RECEIVER, destination=SHIPPER), actor="test")

    parties = transport.calls[0][2]["customerDetails"]
    assert parties["shipperDetails"]["postalAddress"]["cityName"] == "London"
    assert parties["receiverDetails"]["postalAddress"]["cityName"] == "Prague"


def test_cancelling_says_the_api_cannot_void_a_shipment():
    dhl_adapter, transport = adapter()

    with pytest.raises(dhl.CarrierUnsupported, match="cannot be voided through the MyDHL API"):
        dhl_adapter.cancel("1234567890", actor="test")
    assert transport.calls == []


@pytest.mark.parametrize(
    ("mangle", "complaint"),
    [
        (lambda r: r.pop("shipmentTrackingNumber"), "without `shipmentTrackingNumber`"),
        (lambda r: r["packages"].pop(), "1 packages for 2 parcels"),
        (lambda r: r["packages"][1].pop("trackingNumber"), r"\(packages.1\) without `trackingNumber`"),
        (lambda r: r["documents"].pop(0), "without a document of typeCode `label`"),
        (lambda r: r["documents"][0].update(content="not base64!"), "`documents.0.content` that is not base64"),
    ],
)
def test_a_malformed_shipment_answer_says_what_is_missing(mangle, complaint):
    answer = payload("shipment_response.json")
    mangle(answer)
    dhl_adapter, _ = adapter((201, answer))

    with pytest.raises(dhl.CarrierResponseInvalid, match=complaint):
        dhl_adapter.create_shipment(request(), actor="test")


# ---------------------------------------------------------------------------- tracking


def test_tracking_a_waybill_gives_normalized_events_oldest_first():
    dhl_adapter, transport = adapter((200, payload("tracking_response.json")))

    events = dhl_adapter.track("1234567890")

    assert transport.calls[0][:3] == ("GET", "https://dhl.test/mydhlapi/shipments/1234567890/tracking", {"trackingView": "all-checkpoints", "levelOfDetail": "all"})
    assert [(e.status, e.location) for e in events] == [("in_transit", "Prague-CZ"), ("arrived_at_facility", "Leipzig-DE"), ("out_for_delivery", "London-GB"), ("delivered", "London-GB")]
    assert events[0].at == datetime.datetime(2024, 5, 14, 16, 5, tzinfo=PRAGUE)
    assert events[1].detail == "AF Arrived at DHL Sort Facility"  # DHL's own words stay
    assert events[-1].detail == "OK Delivered (signed by M.Companer)"


def test_tracking_a_piece_gives_that_pieces_events():
    dhl_adapter, transport = adapter((200, payload("tracking_response.json")))

    events = dhl_adapter.track("JD014600003889482921")

    assert transport.calls[0][1:3] == ("https://dhl.test/mydhlapi/tracking", {"pieceTrackingNumber": "JD014600003889482921", "trackingView": "all-checkpoints", "levelOfDetail": "all"})
    assert [(e.tracking_number, e.status) for e in events] == [("JD014600003889482921", "in_transit"), ("JD014600003889482921", "delivered")]


@pytest.mark.parametrize(("code", "status"), [("PU", "in_transit"), ("WC", "out_for_delivery"), ("OK", "delivered"), ("RT", "returned_to_sender"), ("NH", "exception"), ("BA", "exception"), ("AF", "arrived_at_facility"), ("ZZ", "info")])
def test_checkpoint_codes_map_to_our_statuses(code, status):
    answer = {"shipments": [{"events": [{"date": "2024-05-15", "time": "09:00:00", "typeCode": code, "description": "x"}]}]}

    assert [e.status for e in dhl.parse_tracking(answer, tracking_number="1")] == [status]


def test_tracking_an_unknown_number_says_dhl_has_no_data():
    dhl_adapter, _ = adapter((404, payload("error_404_tracking.json")))

    with pytest.raises(dhl.CarrierError, match="no tracking data for 1234567890 .*No data found") as refused:
        dhl_adapter.track("1234567890")
    assert (refused.value.code, refused.value.status_code) == ("tracking_not_found", 404)


def test_tracking_events_without_a_date_are_a_malformed_answer():
    with pytest.raises(dhl.CarrierResponseInvalid, match=r"tracking \(events.0\) without `date`"):
        dhl.parse_tracking({"shipments": [{"events": [{"typeCode": "PU"}]}]}, tracking_number="1")


# ---------------------------------------------------------------------------- errors and wiring


def test_dhl_refusals_carry_dhls_own_message():
    dhl_adapter, _ = adapter((400, payload("error_400_account.json")), (422, payload("error_422_validation.json")))

    with pytest.raises(dhl.CarrierError, match="HTTP 400.*Bad request: The account number is not found or invalid") as refused:
        dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT)
    assert refused.value.code == "carrier_error"
    with pytest.raises(dhl.CarrierError, match="Validation error: Multiple problems found.*cityName: expected maxLength: 45"):
        dhl_adapter.create_shipment(request(), actor="test")


def test_wrong_credentials_say_which_settings_to_check():
    dhl_adapter, _ = adapter((401, None))

    with pytest.raises(dhl.CarrierError, match="OMS_DHL_EXPRESS_USERNAME and OMS_DHL_EXPRESS_PASSWORD"):
        dhl_adapter.track("1234567890")


def test_rates_without_products_are_a_malformed_answer_not_a_key_error():
    dhl_adapter, _ = adapter((200, {"warnings": ["x"]}), (200, {"products": [{"productName": "EXPRESS WORLDWIDE"}]}))

    with pytest.raises(dhl.CarrierResponseInvalid, match="/rates without `products`"):
        dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT)
    with pytest.raises(dhl.CarrierResponseInvalid, match="/rates without `productCode`"):
        dhl_adapter.quote(parcels=PARCELS, origin=SHIPPER, destination=RECEIVER, ship_at=SHIP_AT)


def test_missing_credentials_name_the_settings(monkeypatch):
    for name in ("OMS_DHL_EXPRESS_USERNAME", "OMS_DHL_EXPRESS_PASSWORD", "OMS_DHL_EXPRESS_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMS_DHL_EXPRESS_USERNAME", "apiuser")
    unconfigured = dhl.DhlExpressCarrier(carrier("dhl"), transport=FakeTransport())

    with pytest.raises(dhl.CarrierNotConfigured, match="set OMS_DHL_EXPRESS_PASSWORD, OMS_DHL_EXPRESS_ACCOUNT"):
        unconfigured.track("1234567890")


def test_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OMS_DHL_EXPRESS_USERNAME", "envuser")
    monkeypatch.setenv("OMS_DHL_EXPRESS_PASSWORD", "envpass")
    monkeypatch.setenv("OMS_DHL_EXPRESS_ACCOUNT", "987654321")
    monkeypatch.setenv("OMS_DHL_EXPRESS_BASE_URL", "https://express.api.dhl.com/mydhlapi/")

    config = dhl.DhlExpressConfig.from_settings()

    assert (config.username, config.password, config.account, config.base_url) == ("envuser", "envpass", "987654321", dhl.PRODUCTION_URL)


def test_the_real_transport_is_not_built_when_one_is_injected_and_is_selectable_by_adapter_code():
    dhl_adapter, transport = adapter((200, payload("tracking_response.json")))

    dhl_adapter.track("1234567890")

    assert dhl_adapter.transport is transport
    assert ADAPTERS["dhl_express"] is dhl.DhlExpressCarrier
