"""Demo data: a plausible multi-channel merchant, seeded through the real services.

Stock arrives through ``stock_receive``, orders through ``order_intake`` and move on through the
lifecycle services, transfers through ``stock_transfer_*``, so the ledger, the audit trail and
the holds are exactly what a live system would have produced.

Everything is generated first, as plain data, from a generator with a fixed seed; only then is
it applied, skipping what the database already has. So the same options always give the same
data, and a second run finds everything in place and adds nothing. Orders are applied in
batches, one transaction each: an interrupted run leaves whole batches, and the next run
completes the rest.
"""

import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from tqdm import tqdm

from customers.models import Customer, CustomerAddress, CustomerGroup, PriceList, PriceListItem
from inventory.models import Bin, Location, Product, StockLevel, StockMovement, Transfer
from inventory.services import product_create, stock_receive, stock_receive_lines, stock_transfer_create, stock_transfer_dispatch
from oms import geo
from oms.errors import DomainError
from oms.models import ApiKey, Integration
from oms.roles import roles_sync

from .models import Channel, HoldReason, Order, OrderHold, OrderStatus, PaymentStatus
from .services import (
    AddressData,
    LineData,
    OrderIntakeData,
    order_cancel,
    order_complete,
    order_deliver,
    order_hold_place,
    order_intake,
    order_payment_update,
    order_ship,
    order_start_fulfillment,
)

SEED = 20250101
OPENING_REFERENCE = "DEMO-OPENING"
LATE_RECEIPT_REFERENCE = "DEMO-LATE-RECEIPT"
TRANSFER_REFERENCE = "DEMO-REPLENISHMENT"
ORDERS_PER_TRANSACTION = 100
API_KEY_NAME = "demo"

# --- reference data --------------------------------------------------------------------------

CHANNELS = [
    ("web", "Web shop", Channel.Kind.WEB),
    ("pos", "SoHo store till", Channel.Kind.POS),
    ("marketplace", "Marketplace", Channel.Kind.MARKETPLACE),
    ("phone", "Phone orders", Channel.Kind.PHONE),
    ("b2b", "B2B portal", Channel.Kind.B2B),
]
# The systems behind the channels: each owns its API keys and webhook subscriptions.
INTEGRATIONS = [
    ("storefront", "Storefront (Shopify)", Integration.Kind.SHOP),
    ("marketplace", "Marketplace connector", Integration.Kind.MARKETPLACE),
    ("erp", "ERP (finance and purchasing)", Integration.Kind.ERP),
]
CHANNEL_LINKS = {
    "web": {"integration": "storefront", "adapter": Channel.Adapter.SHOPIFY},
    "marketplace": {"integration": "marketplace"},
}

LOCATIONS = [
    dict(code="nj-edison", name="Edison NJ Distribution Center", kind=Location.Kind.WAREHOUSE, line1="300 Raritan Center Pkwy",
         city="Edison", region="NJ", postal_code="08837", country="US", latitude=40.5187, longitude=-74.3563, priority=10),
    dict(code="nv-reno", name="Reno NV Fulfillment Center", kind=Location.Kind.WAREHOUSE, line1="4855 Aircenter Cir",
         city="Reno", region="NV", postal_code="89502", country="US", latitude=39.4889, longitude=-119.7719, priority=20),
    dict(code="nl-venlo", name="Venlo EU Fulfillment Center", kind=Location.Kind.WAREHOUSE, line1="Celsiusweg 20",
         city="Venlo", region="Limburg", postal_code="5928 PR", country="NL", latitude=51.3937, longitude=6.1586, priority=10),
    dict(code="ny-soho", name="SoHo Flagship Store", kind=Location.Kind.STORE, line1="120 Prince St",
         city="New York", region="NY", postal_code="10012", country="US", latitude=40.7253, longitude=-73.9990, priority=50, can_pick_up=True),
    dict(code="de-berlin", name="Berlin Mitte Store", kind=Location.Kind.STORE, line1="Alte Schönhauser Str. 12",
         city="Berlin", region="Berlin", postal_code="10119", country="DE", latitude=52.5268, longitude=13.4096, priority=50, can_pick_up=True),
]
WAREHOUSES = ["nj-edison", "nv-reno", "nl-venlo"]
STORES = ["ny-soho", "de-berlin"]

# country, city, region, postal codes, US area code (for phones)
CITIES = [
    ("US", "New York", "NY", ["10001", "10011", "10025", "10128"], "212"), ("US", "Los Angeles", "CA", ["90012", "90026", "90034"], "213"),
    ("US", "Chicago", "IL", ["60601", "60614", "60622"], "312"), ("US", "Houston", "TX", ["77002", "77006", "77019"], "713"),
    ("US", "Phoenix", "AZ", ["85004", "85016"], "602"), ("US", "Philadelphia", "PA", ["19103", "19147"], "215"),
    ("US", "San Diego", "CA", ["92101", "92103"], "619"), ("US", "Dallas", "TX", ["75201", "75204"], "214"),
    ("US", "Seattle", "WA", ["98101", "98103", "98122"], "206"), ("US", "Denver", "CO", ["80202", "80206"], "303"),
    ("US", "Boston", "MA", ["02108", "02116", "02139"], "617"), ("US", "Atlanta", "GA", ["30303", "30308"], "404"),
    ("US", "Miami", "FL", ["33130", "33139"], "305"), ("US", "Portland", "OR", ["97204", "97209"], "503"),
    ("US", "Minneapolis", "MN", ["55401", "55408"], "612"), ("US", "Austin", "TX", ["78701", "78704"], "512"),
    ("US", "Nashville", "TN", ["37203", "37206"], "615"), ("US", "Columbus", "OH", ["43215", "43201"], "614"),
    ("US", "Charlotte", "NC", ["28202", "28203"], "704"), ("US", "San Francisco", "CA", ["94103", "94110", "94117"], "415"),
    ("US", "Salt Lake City", "UT", ["84111", "84102"], "801"), ("US", "Pittsburgh", "PA", ["15222", "15213"], "412"),
    ("DE", "Berlin", "Berlin", ["10115", "10245", "10437"], ""), ("DE", "Munich", "Bavaria", ["80331", "80469"], ""),
    ("DE", "Hamburg", "Hamburg", ["20095", "22767"], ""), ("DE", "Frankfurt am Main", "Hesse", ["60311", "60316"], ""),
    ("DE", "Cologne", "North Rhine-Westphalia", ["50667", "50823"], ""),
    ("FR", "Paris", "Île-de-France", ["75001", "75011", "75018"], ""), ("FR", "Lyon", "Auvergne-Rhône-Alpes", ["69001", "69007"], ""),
    ("FR", "Marseille", "Provence-Alpes-Côte d'Azur", ["13001", "13006"], ""), ("FR", "Toulouse", "Occitanie", ["31000"], ""),
    ("NL", "Amsterdam", "North Holland", ["1012 AB", "1072 LK"], ""), ("NL", "Rotterdam", "South Holland", ["3011 AD"], ""),
    ("NL", "Utrecht", "Utrecht", ["3511 AX"], ""), ("ES", "Madrid", "Madrid", ["28013", "28004"], ""),
    ("ES", "Barcelona", "Catalonia", ["08002", "08012"], ""), ("IT", "Milan", "Lombardy", ["20121", "20144"], ""),
    ("IT", "Rome", "Lazio", ["00184", "00153"], ""), ("AT", "Vienna", "Vienna", ["1010", "1070"], ""),
    ("BE", "Brussels", "Brussels", ["1000", "1050"], ""), ("DK", "Copenhagen", "Capital Region", ["1050", "2200"], ""),
    ("SE", "Stockholm", "Stockholm", ["111 22", "118 20"], ""), ("PL", "Warsaw", "Masovia", ["00-001", "02-495"], ""),
    ("PT", "Lisbon", "Lisbon", ["1100-148"], ""), ("IE", "Dublin", "Leinster", ["D02 X285", "D08 VF8H"], ""),
    ("GB", "London", "England", ["SW1A 1AA", "E1 6AN", "N1 9GU"], ""), ("GB", "Manchester", "England", ["M1 1AE"], ""),
    ("GB", "Edinburgh", "Scotland", ["EH1 1YZ"], ""),
]
CURRENCY = {"US": "USD", "GB": "GBP"}  # everything else in the list pays in EUR
FX = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara",
    "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
    "Anthony", "Sandra", "Mark", "Ashley", "Priya", "Emily", "Lukas", "Hannah", "Jonas", "Lea", "Camille", "Hugo", "Chloé",
    "Léa", "Sem", "Julia", "Daan", "Sophie", "Lucía", "Mateo", "Giulia", "Lorenzo", "Freja", "Oscar", "Zofia", "Jakub",
    "Aoife", "Seán", "Oliver", "Amelia", "Noah", "Isla", "Mohammed", "Fatima", "Wei", "Yuki",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Patel", "Nguyen", "Kim",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Lefebvre", "Moreau", "de Vries", "Jansen", "Bakker",
    "García", "Fernández", "Rossi", "Russo", "Bianchi", "Nielsen", "Andersson", "Kowalski", "Nowak", "Silva", "Murphy",
    "O'Brien", "Walsh", "Evans", "Hughes", "Novák",
]
COMPANY_WORDS = ["Northwind", "Bluebird", "Summit", "Harbor", "Cedar", "Granite", "Riverside", "Alpine", "Copper", "Lakeside",
                 "Trailhead", "Evergreen", "Ironwood", "Meridian", "Beacon", "Highland", "Driftwood", "Sierra"]
COMPANY_KINDS = ["Outfitters", "Supply", "Trading", "General Store", "Mercantile", "Goods", "Sports", "Home & Garden"]
LEGAL_SUFFIX = {"US": "Inc.", "GB": "Ltd", "DE": "GmbH", "NL": "B.V.", "FR": "SAS", "ES": "S.L.", "IT": "S.r.l.", "AT": "GmbH",
                "BE": "BV", "DK": "ApS", "SE": "AB", "PL": "Sp. z o.o.", "PT": "Lda", "IE": "Ltd"}
STREETS = {
    "US": ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Washington Blvd", "Park Ave", "Lake St", "Hillside Rd", "2nd St", "Elm St"],
    "GB": ["High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Lindenallee"],
    "FR": ["rue de la République", "avenue Victor Hugo", "rue Pasteur", "boulevard Voltaire"],
    "NL": ["Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein"],
    "ES": ["Calle Mayor", "Calle Real", "Avenida de la Constitución"],
    "IT": ["Via Roma", "Via Garibaldi", "Corso Italia"],
}
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

# code, name, price (USD), grams, (length, width, height) mm, variant axes
CATALOGUE = [
    ("TEE", "Organic Cotton Crew Tee", "24.00", 180, (300, 250, 20), [("Black", "White", "Heather Grey", "Navy", "Olive"), ("XS", "S", "M", "L", "XL", "XXL")]),
    ("HOOD", "Midweight Pullover Hoodie", "58.00", 520, (350, 300, 60), [("Black", "Oatmeal", "Forest", "Navy"), ("S", "M", "L", "XL", "XXL")]),
    ("SOCK", "Merino Hiking Sock", "18.00", 80, (200, 100, 30), [("Charcoal", "Rust", "Sage", "Navy"), ("S", "M", "L")]),
    ("JKT", "Packable Rain Jacket", "129.00", 340, (300, 250, 50), [("Black", "Cobalt", "Signal Orange"), ("XS", "S", "M", "L", "XL")]),
    ("LEGG", "Performance Leggings", "68.00", 220, (250, 200, 30), [("Black", "Plum", "Steel"), ("XS", "S", "M", "L", "XL")]),
    ("SHRT", "Oxford Button-Down Shirt", "74.00", 300, (320, 260, 40), [("White", "Light Blue", "Pink", "Stripe"), ("S", "M", "L", "XL")]),
    ("CHNO", "Stretch Chino", "79.00", 520, (350, 280, 40), [("Khaki", "Navy", "Olive"), ("30", "32", "34", "36")]),
    ("SNKR", "Canvas Sneaker", "65.00", 900, (330, 210, 120), [("White", "Black", "Red"), ("7", "8", "9", "10", "11", "12")]),
    ("BOOT", "Waterproof Hiking Boot", "159.00", 1400, (340, 230, 140), [("Brown", "Grey"), ("7", "8", "9", "10", "11", "12")]),
    ("CAP", "Six-Panel Canvas Cap", "28.00", 110, (280, 200, 120), [("Khaki", "Navy", "Black", "Stone")]),
    ("BEAN", "Ribbed Wool Beanie", "26.00", 90, (220, 200, 30), [("Charcoal", "Mustard", "Navy", "Cream")]),
    ("MUG", "Stoneware Mug 12 oz", "16.00", 420, (120, 90, 100), [("Slate", "Sand", "Moss", "Cream", "Rust", "Ink")]),
    ("BOWL", "Stoneware Bowl Set of 4", "48.00", 1900, (250, 250, 150), [("Slate", "Sand", "Moss", "Cream")]),
    ("GLAS", "Recycled Glass Tumbler 4-Pack", "28.00", 1100, (200, 200, 130), [("Clear", "Aqua", "Smoke")]),
    ("DUVT", "Linen Duvet Cover", "149.00", 1300, (400, 300, 80), [("White", "Flax", "Slate"), ("Twin", "Full", "Queen", "King")]),
    ("SHTS", "Percale Sheet Set", "119.00", 1600, (350, 300, 90), [("White", "Ivory", "Mist"), ("Twin", "Full", "Queen", "King")]),
    ("PLLW", "Down Alternative Pillow", "49.00", 900, (500, 350, 150), [("Standard", "King")]),
    ("TWL", "Turkish Cotton Towel", "34.00", 600, (300, 200, 80), [("White", "Sand", "Sea Blue"), ("Hand", "Bath")]),
    ("CNDL", "Soy Candle 8 oz", "22.00", 380, (90, 90, 100), [("Cedar", "Fig", "Sea Salt", "Lavender", "Amber", "Vetiver")]),
    ("PAN", "Cast Iron Skillet", "45.00", 2300, (450, 280, 60), [("8 in", "10 in", "12 in")]),
    ("KNF", "Chef's Knife 8 in", "89.00", 230, (350, 80, 30), [("Walnut", "Black")]),
    ("BLNK", "Wool Throw Blanket", "98.00", 1200, (400, 300, 120), [("Grey", "Rust", "Ocean")]),
    ("BTL", "Insulated Water Bottle", "32.00", 390, (280, 80, 80), [("Black", "White", "Sage", "Coral"), ("500 ml", "750 ml", "1000 ml")]),
    ("PACK", "Daypack 22 L", "89.00", 780, (480, 300, 180), [("Black", "Olive", "Navy")]),
    ("LAMP", "Rechargeable Headlamp 400 lm", "39.00", 90, (120, 80, 60), [("Black", "Orange")]),
    ("TENT", "Two-Person Backpacking Tent", "349.00", 1800, (500, 180, 180), [("Green", "Sand")]),
    ("SLBG", "Down Sleeping Bag 20°F", "289.00", 1100, (450, 250, 250), [("Regular", "Long")]),
    ("CBL", "USB-C Charging Cable 2 m", "19.00", 60, (150, 100, 20), [("Black", "White")]),
    ("CHG", "65 W GaN Wall Charger", "49.00", 120, (90, 70, 40), [("US", "EU", "UK")]),
    ("CASE", "Slim Phone Case", "35.00", 40, (180, 100, 20), [("iPhone 15", "iPhone 15 Pro", "Pixel 8", "Galaxy S24"), ("Black", "Clear", "Sage")]),
    ("KBD", "Mechanical Keyboard", "119.00", 950, (450, 160, 50), [("US", "UK", "DE"), ("Brown switch", "Red switch")]),
    ("MSE", "Wireless Mouse", "49.00", 90, (120, 70, 45), [("Graphite", "Pale Grey", "Rose")]),
    ("EAR", "Wireless Earbuds", "129.00", 60, (100, 100, 40), [("Black", "White", "Midnight Blue")]),
    ("SPK", "Portable Bluetooth Speaker", "79.00", 540, (200, 90, 90), [("Black", "Teal", "Red")]),
    ("STND", "Aluminium Laptop Stand", "59.00", 900, (280, 250, 40), [("Silver", "Space Grey")]),
    ("PWR", "Power Bank 10,000 mAh", "45.00", 210, (150, 70, 20), [("Black", "White")]),
    ("NTBK", "Dot Grid Notebook A5", "14.00", 280, (210, 150, 15), [("Black", "Terracotta", "Sage", "Navy")]),
    ("PEN", "Gel Pen 0.5 mm 3-Pack", "9.00", 40, (160, 60, 15), [("Black", "Blue", "Assorted")]),
    ("PLNR", "Undated Weekly Planner", "26.00", 450, (220, 160, 20), [("Black", "Blush", "Forest")]),
    ("YOGA", "Natural Rubber Yoga Mat", "78.00", 2400, (650, 150, 150), [("Slate", "Plum", "Moss"), ("4 mm", "6 mm")]),
    ("DMBL", "Adjustable Dumbbell 25 lb", "119.00", 11300, (400, 200, 200), [("Black",)]),
    ("BAND", "Resistance Band Set", "29.00", 350, (200, 150, 60), [("Light", "Medium", "Heavy")]),
    ("SHKR", "Protein Shaker 700 ml", "15.00", 170, (220, 90, 90), [("Black", "Clear", "Pink")]),
    ("GLSS", "Polarized Sunglasses", "69.00", 40, (160, 60, 50), [("Tortoise", "Matte Black", "Crystal")]),
    ("WLLT", "Leather Card Wallet", "45.00", 60, (110, 80, 10), [("Tan", "Black", "Oxblood")]),
    ("BELT", "Full-Grain Leather Belt", "65.00", 250, (350, 120, 50), [("Brown", "Black"), ("30", "32", "34", "36", "38")]),
    ("TOTE", "Waxed Canvas Tote", "54.00", 620, (400, 350, 40), [("Tan", "Olive", "Charcoal")]),
    ("UMBR", "Compact Travel Umbrella", "29.00", 330, (300, 60, 60), [("Black", "Navy", "Yellow")]),
    ("PLNT", "Ceramic Planter 6 in", "32.00", 1100, (170, 170, 160), [("White", "Terracotta", "Speckled")]),
    ("FRPN", "French Press 1 L", "39.00", 780, (200, 130, 230), [("Steel", "Copper")]),
    ("KTTL", "Gooseneck Kettle", "69.00", 900, (300, 170, 200), [("Matte Black", "Steel")]),
    ("BRD", "Acacia Cutting Board", "42.00", 1500, (450, 300, 25), [("Medium", "Large")]),
]


# --- the plan: pure data, drawn from the seeded generator -----------------------------------


@dataclass
class ProductSeed:
    sku: str
    name: str
    gtin: str
    price: Decimal
    cost: Decimal
    weight_grams: int
    dims: tuple[int, int, int]


@dataclass
class CustomerSeed:
    email: str
    kind: str
    first_name: str
    last_name: str
    company_name: str
    vat_number: str
    phone: str
    group: str
    address: AddressData


@dataclass
class OrderSeed:
    index: int
    channel: str
    external_id: str
    customer: CustomerSeed
    placed_at: datetime
    scenario: str  # the OrderStatus it should end in, or "hold:<reason>"
    payment_status: str
    lines: list[tuple[str, int, Decimal]]
    shipping_address: AddressData
    billing_address: AddressData | None = None
    payment_arrives_later: bool = False  # held for payment at intake, released when it is authorised


@dataclass
class DemoReport:
    created: Counter = field(default_factory=Counter)
    statuses: dict = field(default_factory=dict)
    holds: dict = field(default_factory=dict)
    drifted: int = 0
    in_transit: int = 0
    seconds: float = 0.0
    logins: list = field(default_factory=list)  # (username, role, password or None when it already existed)
    api_key: str | None = None
    sample_sku: str = ""
    sample_price: str = ""


def _code(value: str) -> str:
    """A short variant code for the SKU: "8 in" -> 8, "Heather Grey" -> HG, "Black" -> BLA."""
    if value[0].isdigit():
        return "".join(ch for ch in value if ch.isdigit())
    words = value.replace("-", " ").split()
    if len(words) > 1:
        return "".join(word[0] for word in words).upper()
    return value[:3].upper()


def _gtin13(rng: random.Random, index: int) -> str:
    # GS1's documentation prefix: valid check digits, never a real manufacturer's.
    body = f"0614141{index:05d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def catalogue_plan(rng: random.Random, count: int) -> list[ProductSeed]:
    seeds = []
    for code, name, price, grams, dims, axes in CATALOGUE:
        combos = [()]
        for axis in axes:
            combos = [c + (v,) for c in combos for v in axis]
        for combo in combos:
            sku = "-".join([code, *(_code(v) for v in combo)])
            base = Decimal(price)
            if combo and combo[-1] in ("XL", "Long", "Large", "12 in", "6 mm"):
                base += Decimal("4.00")
            seeds.append(
                ProductSeed(
                    sku=sku, name=f"{name} — {', '.join(combo)}" if combo else name, gtin="", price=base,
                    cost=_money(base * Decimal(str(rng.uniform(0.32, 0.55)))),
                    weight_grams=max(10, int(grams * rng.uniform(0.95, 1.05))), dims=dims,
                )
            )
    unique = list({seed.sku: seed for seed in seeds}.values())
    if len(unique) != len(seeds):
        raise ValueError("Two catalogue variants share a SKU code; make their variant codes distinct.")
    rng.shuffle(unique)
    for index, seed in enumerate(unique):
        seed.gtin = _gtin13(rng, index + 1)
    if count > len(unique):
        raise ValueError(f"The demo catalogue has {len(unique)} SKUs; ask for at most that many.")
    return sorted(unique[:count], key=lambda s: s.sku)


def _phone(rng: random.Random, country: str, area: str) -> str:
    if country == "US":
        # 555-0100..0199 is reserved for fiction, and still a valid number to the parsers.
        return f"+1{area or '212'}5550{rng.randint(100, 199)}"
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    digits = str(example.national_number)
    for _ in range(20):
        candidate = digits[:-5] + "".join(str(rng.randint(0, 9)) for _ in range(5))
        parsed = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _address(rng: random.Random, name: str, *, us: bool) -> AddressData:
    country, city, region, postal_codes, area = rng.choice([c for c in CITIES if (c[0] == "US") == us])
    number, street = rng.randint(1, 480), rng.choice(STREETS.get(country, ["Market Street", "Harbour Road", "Central Avenue"]))
    number_first = country in ("US", "GB", "IE", "FR") or country not in STREETS
    line2 = rng.choice(["", "", "", f"Apt {rng.randint(1, 40)}", f"Suite {rng.randint(100, 900)}"]) if country == "US" else ""
    return AddressData(
        country=country, name=name, line1=f"{number} {street}" if number_first else f"{street} {number}", line2=line2,
        city=city, region=region, postal_code=rng.choice(postal_codes), phone=_phone(rng, country, area),
    )


B2B_GROUPS = [
    # code, name, credit limit (USD), payment terms (days)
    ("wholesale", "Wholesale accounts", Decimal("50000"), 30),
    ("trade", "Trade accounts", Decimal("20000"), 14),
    ("b2b-new", "New B2B accounts (probation)", Decimal("1500"), 30),
]
# Every sixth business is abroad (no group: B2B credit is kept in USD); the US ones cycle
# through the groups, so even a small demo has an account in each.
BUSINESS_GROUP_CYCLE = ["wholesale", "trade", "b2b-new", "trade", "wholesale", None]


def customers_plan(rng: random.Random, count: int) -> list[CustomerSeed]:
    seeds, businesses = [], 0
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if index % 7 == 3:
            group = BUSINESS_GROUP_CYCLE[businesses % len(BUSINESS_GROUP_CYCLE)]
            businesses += 1
            address = _address(rng, f"{first} {last}", us=group is not None)
            company_word = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
            company = f"{company_word} {LEGAL_SUFFIX.get(address.country, 'Ltd')}"
            domain = company_word.lower().replace(" & ", "-").replace(" ", "")
            vat = f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}" if address.country == "US" else f"{address.country}{rng.randint(100000000, 999999999)}"
            seeds.append(CustomerSeed(f"purchasing{index}@{domain}.example.com", Customer.Kind.BUSINESS, first, last, company, vat,
                                      address.phone, group or "", address))
        else:
            address = _address(rng, f"{first} {last}", us=rng.random() < 0.62)
            local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == "."))
            seeds.append(CustomerSeed(f"{local}{index}@{rng.choice(EMAIL_DOMAINS)}", Customer.Kind.PERSON, first, last, "", "",
                                      address.phone, "", address))
    return seeds


HOLD_SCENARIOS = [f"hold:{reason}" for reason in HoldReason.values]


def _scenario_for_age(rng: random.Random, days: float) -> str:
    if days < 1:
        return rng.choices([OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT], weights=[6, 4])[0]
    if days < 3:
        return rng.choices([OrderStatus.IN_FULFILLMENT, OrderStatus.SHIPPED], weights=[3, 7])[0]
    if days < 8:
        return rng.choices([OrderStatus.SHIPPED, OrderStatus.DELIVERED], weights=[4, 6])[0]
    if days < 20:
        return rng.choices([OrderStatus.DELIVERED, OrderStatus.COMPLETED], weights=[4, 6])[0]
    return rng.choices([OrderStatus.DELIVERED, OrderStatus.COMPLETED], weights=[3, 97])[0]


def orders_plan(
    rng: random.Random, count: int, customers: list[CustomerSeed], products: list[ProductSeed], scarce: set[str], now: datetime
) -> list[OrderSeed]:
    """Orders over the last 90 days, each with the state it should end in.

    Every hold reason, backorders, partial shipments and every open state get a quota among the
    most recent orders, so even a small demo shows all of them; the rest follow their age.
    """
    sellable = [p for p in products if p.sku not in scarce]
    rng.shuffle(sellable)
    # A long tail: a few SKUs sell a lot, most sell a little.
    weights = [1 / (rank + 4) ** 0.9 for rank in range(len(sellable))]
    people = [c for c in customers if c.kind == Customer.Kind.PERSON]
    accounts = [c for c in customers if c.group in ("wholesale", "trade")]
    probation = [c for c in customers if c.group == "b2b-new"]
    if not accounts or not probation:
        raise ValueError("Ask for at least 20 customers, so there are B2B accounts in every customer group.")
    loyal = [rng.random() ** 3 for _ in people]  # a few people order again and again

    placed = sorted(now - timedelta(days=90 * (1 - rng.random() ** 0.8), minutes=rng.randint(0, 59)) for _ in range(count))

    def quota(fraction: float, minimum: int) -> int:
        return max(minimum, round(count * fraction))

    specials = (
        [s for s in HOLD_SCENARIOS for _ in range(quota(0.012, 1))]
        + [OrderStatus.BACKORDERED] * quota(0.03, 3)
        + [OrderStatus.PARTIALLY_SHIPPED] * quota(0.02, 1)
        + [OrderStatus.ALLOCATED] * quota(0.02, 1)
        + [OrderStatus.IN_FULFILLMENT] * quota(0.02, 1)
        + [OrderStatus.SHIPPED] * quota(0.01, 1)
    )
    if len(specials) + quota(0.04, 2) + 2 > count:
        raise ValueError(f"Ask for at least {len(specials) + quota(0.04, 2) + 2} orders so every state fits.")
    recent = list(range(count - max(len(specials) * 2, count // 6), count))
    scenario_at: dict[int, str] = dict(zip(rng.sample(recent, len(specials)), specials))
    free = [i for i in range(count - 1) if i not in scenario_at]
    for index in rng.sample(free, quota(0.04, 2)):
        scenario_at[index] = OrderStatus.CANCELLED
    free = [i for i in free if i not in scenario_at and (now - placed[i]).days >= 5]
    paid_later = set(rng.sample(free, min(len(free), quota(0.03, 1))))

    scarce_cycle = sorted(scarce)
    backorders = 0
    plans = []
    for index, when in enumerate(placed):
        scenario = scenario_at.get(index) or _scenario_for_age(rng, (now - when).total_seconds() / 86400)
        channel = rng.choices(["web", "marketplace", "pos", "phone", "b2b"], weights=[52, 22, 8, 8, 10])[0]
        if scenario == "hold:credit_limit":
            channel = "b2b"
        elif scenario == "hold:payment" or index in paid_later:
            channel = "web"
        elif channel == "b2b" and scenario.startswith("hold:"):
            channel = "web"
        if channel == "b2b":
            customer = rng.choice(probation if scenario == "hold:credit_limit" else accounts)
        else:
            customer = rng.choices(people, weights=loyal)[0]
        currency = CURRENCY.get(customer.address.country, "EUR")
        fx = FX[currency]

        def line(product: ProductSeed, quantity: int) -> tuple[str, int, Decimal]:
            return (product.sku, quantity, _money(product.price * fx * (Decimal("0.85") if channel == "b2b" else 1)))

        n_lines = rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0]
        if scenario == OrderStatus.PARTIALLY_SHIPPED:
            n_lines = max(n_lines, 2)
        picks = []
        for product in rng.choices(sellable, weights=weights, k=n_lines):
            if product not in picks:
                picks.append(product)
        if channel == "b2b":
            lines = [line(p, rng.randint(3, 12)) for p in picks]
        else:
            lines = [line(p, rng.choices([1, 2, 3], weights=[80, 15, 5])[0]) for p in picks]
        if scenario == OrderStatus.PARTIALLY_SHIPPED and len(lines) < 2:
            extra = next(p for p in sellable if p.sku != lines[0][0])
            lines.append(line(extra, 1))

        payment = PaymentStatus.PAID if channel in ("web", "marketplace", "pos") else PaymentStatus.AUTHORIZED
        if channel == "b2b":
            payment = PaymentStatus.PENDING  # on terms: invoiced later
        shipping = AddressData(**customer.address.as_dict())
        billing = None
        if scenario == "hold:payment" or index in paid_later:
            payment = PaymentStatus.PENDING
        elif scenario == "hold:address":
            if rng.random() < 0.5 or not geo.country_uses_postal_codes(shipping.country):
                shipping.city = ""
            else:
                shipping.postal_code = "9021" if shipping.country == "US" else "XX-99-XX"
        elif scenario == "hold:credit_limit":
            big = max(sellable, key=lambda p: p.price if p.price < 400 else 0)
            unit_price = line(big, 1)[2]
            lines = [line(big, 1 + int(Decimal("2000") / unit_price))]  # well over the 1,500 probation limit
        elif scenario == "hold:stock":
            lines.append((f"LEGACY-{rng.randint(1000, 9999)}", 1, _money(Decimal("19.00") * fx)))
        elif scenario == "hold:quantity_price":
            cheapest = min(sellable, key=lambda p: p.price)
            lines = [line(cheapest, 600)]
        elif scenario == "hold:fraud_risk":
            other = next(c for c in CITIES if c[0] not in (shipping.country, "US"))
            billing = AddressData(country=other[0], name=shipping.name, line1="1 Unknown Road", city=other[1], region=other[2], postal_code=other[3][0])
        elif scenario == OrderStatus.BACKORDERED:
            sku = scarce_cycle[backorders % len(scarce_cycle)]
            backorders += 1
            product = next(p for p in products if p.sku == sku)
            lines = [line(product, rng.randint(1, 3))] + lines[:1]

        prefix = {"web": "W", "marketplace": "MKT-", "pos": "POS-", "phone": "PH-", "b2b": "PO-"}[channel]
        plans.append(
            OrderSeed(
                index=index, channel=channel, external_id=f"{prefix}{100001 + index}", customer=customer, placed_at=when,
                scenario=scenario, payment_status=payment, lines=lines, shipping_address=shipping, billing_address=billing,
                payment_arrives_later=index in paid_later,
            )
        )
    return plans


def stock_plan(rng: random.Random, products: list[ProductSeed], orders: list[OrderSeed], scarce: set[str]) -> list[tuple[str, str, int]]:
    """Opening receipts ``(sku, location, quantity)``: enough for every order meant to be served,
    spread over the warehouses, a little in the stores; scarce SKUs get none."""
    demand = Counter()
    for order in orders:
        if order.scenario in ("hold:quantity_price", "hold:stock", "hold:credit_limit"):
            continue
        for sku, quantity, _ in order.lines:
            demand[sku] += quantity
    receipts = []
    for product in products:
        if product.sku in scarce:
            continue
        need = demand[product.sku]
        for code in WAREHOUSES:
            share = 0.5 if code == "nl-venlo" else 0.9
            receipts.append((product.sku, code, int(need * share) + rng.randint(6, 40)))
        for code in STORES:
            if rng.random() < 0.4:
                receipts.append((product.sku, code, rng.randint(2, 12)))
    return receipts


# --- applying the plan ----------------------------------------------------------------------


def _bins(location: Location) -> list[Bin]:
    """A serpentine pick path: aisles alternate direction so a picker never walks back."""
    zones = ["A", "B", "C"] if location.kind == Location.Kind.WAREHOUSE else ["FL", "BR"]
    aisles = 6 if location.kind == Location.Kind.WAREHOUSE else 2
    shelves, positions = 4, 5
    bins, sequence = [], 0
    for zone in zones:
        for aisle in range(1, aisles + 1):
            order = range(1, positions + 1) if aisle % 2 else range(positions, 0, -1)
            for position in order:
                for shelf in range(1, shelves + 1):
                    sequence += 10
                    bins.append(
                        Bin(location=location, code=f"{zone}-{aisle:02d}-{shelf}-{position:02d}", zone=zone, aisle=f"{aisle:02d}",
                            shelf=str(shelf), position=f"{position:02d}", pick_sequence=sequence)
                    )
    return bins


def _reference_data(report: DemoReport) -> None:
    roles_sync()
    integrations = {}
    for code, name, kind in INTEGRATIONS:
        integrations[code], created = Integration.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        report.created["integrations"] += created
    for code, name, kind in CHANNELS:
        defaults = {"name": name, "kind": kind, **CHANNEL_LINKS.get(code, {})}
        if "integration" in defaults:
            defaults["integration"] = integrations[defaults["integration"]]
        if defaults.get("adapter"):
            defaults["webhook_secret"] = secrets.token_urlsafe(32)
        _, created = Channel.objects.get_or_create(code=code, defaults=defaults)
        report.created["channels"] += created
    for spec in LOCATIONS:
        location, created = Location.objects.get_or_create(code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})
        report.created["locations"] += created
        if not location.bins.exists():
            report.created["bins"] += len(Bin.objects.bulk_create(_bins(location), ignore_conflicts=True))
    price_list, _ = PriceList.objects.get_or_create(code="wholesale-usd", defaults={"name": "Wholesale USD (15% off list)", "currency": "USD"})
    for code, name, limit, terms in B2B_GROUPS:
        _, created = CustomerGroup.objects.get_or_create(
            code=code,
            defaults={"name": name, "price_list": price_list, "credit_limit": limit, "credit_currency": "USD", "payment_terms_days": terms},
        )
        report.created["customer groups"] += created


def _catalogue(products: list[ProductSeed], report: DemoReport) -> None:
    existing = set(Product.objects.filter(sku__in=[p.sku for p in products]).values_list("sku", flat=True))
    with transaction.atomic():
        for seed in products:
            if seed.sku in existing:
                continue
            length, width, height = seed.dims
            product_create(
                sku=seed.sku, name=seed.name, price=seed.price, currency="USD", actor="demo", gtin=seed.gtin, cost=seed.cost,
                weight_grams=seed.weight_grams, length_mm=length, width_mm=width, height_mm=height,
            )
            report.created["products"] += 1
        price_list = PriceList.objects.get(code="wholesale-usd")
        PriceListItem.objects.bulk_create(
            [PriceListItem(price_list=price_list, sku=p.sku, price=_money(p.price * Decimal("0.85"))) for p in products],
            ignore_conflicts=True,
        )


def _opening_stock(receipts: list[tuple[str, str, int]], report: DemoReport, progress: bool) -> None:
    done = set(
        StockMovement.objects.filter(reference=OPENING_REFERENCE).values_list("product__sku", "location__code")
    )
    todo = [r for r in receipts if (r[0], r[1]) not in done]
    with transaction.atomic():
        # Deliveries of up to 100 lines, as goods arrive against purchase orders.
        chunks = [todo[start:start + 100] for start in range(0, len(todo), 100)]
        with tqdm(total=len(todo), desc="Receiving stock", unit="line", disable=not progress or not todo) as bar:
            for chunk in chunks:
                stock_receive_lines(lines=chunk, reference=OPENING_REFERENCE, actor="demo:receiving")
                report.created["receipts"] += len(chunk)
                bar.update(len(chunk))
        _slot(report)


def _slot(report: DemoReport) -> None:
    """Give every stock row without a bin one, fast movers nearest the start of the pick path.

    The bin is where the units sit, not how many there are, so it is set on the row directly;
    the counters are untouched.
    """
    levels = list(StockLevel.objects.filter(bin__isnull=True).select_related("location").order_by("location_id", "-on_hand", "product__sku"))
    bins_by_location = defaultdict(list)
    for bin_ in Bin.objects.order_by("location_id", "pick_sequence"):
        bins_by_location[bin_.location_id].append(bin_)
    used = Counter(StockLevel.objects.filter(bin__isnull=False).values_list("location_id", flat=True))
    for level in levels:
        bins = bins_by_location.get(level.location_id)
        if bins:
            level.bin = bins[used[level.location_id] % len(bins)]
            used[level.location_id] += 1
    StockLevel.objects.bulk_update([lv for lv in levels if lv.bin_id], ["bin"], batch_size=500)


def _customers(seeds: list[CustomerSeed], report: DemoReport) -> None:
    existing = set(Customer.objects.filter(email__in=[s.email for s in seeds]).values_list("email", flat=True))
    new = [s for s in seeds if s.email not in existing]
    if not new:
        return
    groups = {g.code: g for g in CustomerGroup.objects.all()}
    with transaction.atomic():
        Customer.objects.bulk_create(
            [
                Customer(
                    email=s.email, kind=s.kind, first_name=s.first_name, last_name=s.last_name, company_name=s.company_name,
                    vat_number=s.vat_number, phone=s.phone, group=groups.get(s.group),
                )
                for s in new
            ],
            batch_size=500,
        )
        ids = dict(Customer.objects.filter(email__in=[s.email for s in new]).values_list("email", "pk"))
        addresses = []
        for s in new:
            a = s.address
            addresses.append(
                CustomerAddress(
                    customer_id=ids[s.email], label="Office" if s.company_name else "Home", name=a.name, company=s.company_name,
                    line1=a.line1, line2=a.line2, city=a.city, region=a.region, postal_code=a.postal_code, country=a.country,
                    phone=a.phone, is_default_shipping=True, is_default_billing=True,
                )
            )
        CustomerAddress.objects.bulk_create(addresses, batch_size=500)
    report.created["customers"] += len(new)


DEMO_USERS = [
    # username, role group, first name, last name
    ("warehouse", "Warehouse", "Wanda", "Warehouse"),
    ("service", "Customer service", "Sam", "Service"),
    ("accounting", "Accounting", "Alex", "Accounts"),
    ("manager", "Operations manager", "Morgan", "Manager"),
]


def _users(report: DemoReport) -> dict[str, object]:
    """The admin and one login per role; an existing login keeps its password."""
    User = get_user_model()
    users = {}
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(username="admin", email="admin@example.com", password=password)
        report.logins.append(("admin", "superuser", password))
    else:
        report.logins.append(("admin", "superuser", None))
    users["admin"] = admin
    for username, role, first, last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username, password=password, email=f"{username}@example.com", first_name=first, last_name=last, is_staff=True
            )
        user.groups.add(Group.objects.get(name=role))
        report.logins.append((username, role, password))
        users[username] = user
    return users


INTAKE_ACTORS = {"web": "api:web-shop", "marketplace": "api:marketplace", "pos": "pos:ny-soho", "b2b": "api:b2b-portal"}


def _intake_data(seed: OrderSeed) -> OrderIntakeData:
    customer = seed.customer
    return OrderIntakeData(
        channel=seed.channel, external_id=seed.external_id, currency=CURRENCY.get(customer.address.country, "EUR"),
        email=customer.email, first_name=customer.first_name, last_name=customer.last_name, phone=customer.phone,
        shipping_address=AddressData(**seed.shipping_address.as_dict()),
        billing_address=AddressData(**seed.billing_address.as_dict()) if seed.billing_address else None,
        lines=[LineData(sku=sku, quantity=quantity, unit_price=price) for sku, quantity, price in seed.lines],
        shipping_price=Decimal("0") if seed.channel in ("pos", "b2b") else _money(Decimal("6.95") * FX[CURRENCY.get(customer.address.country, "EUR")]),
        payment_status=seed.payment_status, placed_at=seed.placed_at,
    )


@dataclass(frozen=True)
class DemoShipping:
    """How the demo takes an allocated order through the warehouse. The default works on the order
    alone; the fulfillment app (above this one) passes its own, through fulfillment orders."""

    start: Callable[[Order, object], None]
    ship_first_line: Callable[[Order, object], None]
    ship_rest: Callable[[Order, object], None]
    deliver: Callable[[Order, object], None]


def _ship_first_line(order: Order, actor) -> None:
    first = order.lines.order_by("line_number").first()
    order_ship(order_id=order.pk, actor=actor, quantities={first.pk: first.quantity_reserved}, reference=f"{order.number}-1")


ORDER_LEVEL_SHIPPING = DemoShipping(
    start=lambda order, actor: order_start_fulfillment(order_id=order.pk, actor=actor),
    ship_first_line=_ship_first_line,
    ship_rest=lambda order, actor: order_ship(order_id=order.pk, actor=actor),
    deliver=lambda order, actor: order_deliver(order_id=order.pk, actor=actor),
)


def _advance(seed: OrderSeed, order: Order, users: dict, shipping: DemoShipping) -> bool:
    """Move a freshly recorded order to the state its seed asks for; False when stock or a rule
    put it elsewhere first (it then stays where the services left it)."""
    service, warehouse = users["service"], users["warehouse"]
    scenario = seed.scenario
    if seed.payment_arrives_later:
        order = order_payment_update(order_id=order.pk, payment_status=PaymentStatus.AUTHORIZED, actor="api:payments")
    if scenario.startswith("hold:"):
        reason = scenario.split(":", 1)[1]
        if reason == HoldReason.FRAUD_RISK:
            order_hold_place(order_id=order.pk, reason=reason, actor="job:fraud-screening",
                             detail="Billing and shipping countries differ on a first order; verify with the card issuer.")
        elif reason == HoldReason.MANUAL:
            order_hold_place(order_id=order.pk, reason=reason, actor=service,
                             detail="Customer called: hold until they confirm the delivery date.")
        # Held since the order came in, as a live system would show it (the hold queue's waiting time).
        OrderHold.objects.filter(order=order, released_at__isnull=True).update(created_at=seed.placed_at)
        return OrderHold.objects.filter(order=order, reason=reason, released_at__isnull=True).exists()
    if scenario == OrderStatus.BACKORDERED:
        return order.status == OrderStatus.BACKORDERED
    if scenario == OrderStatus.CANCELLED:
        note = "payment never arrived" if order.status == OrderStatus.ON_HOLD else "customer changed their mind"
        order_cancel(order_id=order.pk, actor=service, reason=note)
        return True
    if order.status != OrderStatus.ALLOCATED:
        return False
    path = [OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED]
    target = path.index(scenario)
    if target >= 1:
        shipping.start(order, warehouse)
    if target == 2:
        shipping.ship_first_line(order, warehouse)
    if target >= 3:
        if order.payment_status == PaymentStatus.AUTHORIZED:
            order_payment_update(order_id=order.pk, payment_status=PaymentStatus.PAID, actor="api:payments")
        shipping.ship_rest(order, warehouse)
    if target >= 4:
        shipping.deliver(order, "job:carrier-tracking")
    if target >= 5:
        if order.payment_status == PaymentStatus.PENDING:  # B2B on terms: the invoice was paid
            order_payment_update(order_id=order.pk, payment_status=PaymentStatus.PAID, actor="accounting:invoices")
        order_complete(order_id=order.pk, actor="job:order-closing")
    return True


def _orders(plans: list[OrderSeed], users: dict, report: DemoReport, progress: bool, shipping: DemoShipping) -> None:
    channels = dict(Channel.objects.values_list("code", "pk"))
    recorded = set(Order.objects.filter(external_id__in=[p.external_id for p in plans]).values_list("channel_id", "external_id"))
    todo = [p for p in plans if (channels[p.channel], p.external_id) not in recorded]
    bar = tqdm(total=len(todo), desc="Placing orders", unit="order", disable=not progress or not todo)
    for start in range(0, len(todo), ORDERS_PER_TRANSACTION):
        # Seeding only: one transaction per batch instead of one per service call; every
        # service still runs, each in its savepoint, and events still dispatch after commit.
        with transaction.atomic():
            for seed in todo[start:start + ORDERS_PER_TRANSACTION]:
                actor = users["service"] if seed.channel == "phone" else INTAKE_ACTORS[seed.channel]
                result = order_intake(data=_intake_data(seed), actor=actor)
                if result.created:
                    report.created["orders"] += 1
                    try:
                        if not _advance(seed, result.order, users, shipping):
                            report.drifted += 1
                    except DomainError:
                        report.drifted += 1
                bar.update(1)
    bar.close()


def _late_receipt(scarce: list[str], report: DemoReport) -> None:
    """Goods arrive for the oldest backorder of one scarce SKU: the receipt's event serves it."""
    if not scarce or StockMovement.objects.filter(reference=LATE_RECEIPT_REFERENCE).exists():
        return
    sku = scarce[0]
    waiting = (
        Order.objects.filter(status=OrderStatus.BACKORDERED, lines__sku=sku).order_by("placed_at", "id").first()
    )
    if waiting is None:
        return
    line = waiting.lines.get(sku=sku)
    stock_receive(sku=sku, location="nj-edison", quantity=line.quantity_open, reference=LATE_RECEIPT_REFERENCE, actor="demo:receiving")
    report.created["receipts"] += 1


def _transfers(rng: random.Random, report: DemoReport, manager) -> None:
    """Replenish the stores from the nearest warehouse: in transit, so incoming at the store."""
    if Transfer.objects.filter(reference__startswith=TRANSFER_REFERENCE).exists():
        return
    for source, destination in (("nj-edison", "ny-soho"), ("nl-venlo", "de-berlin"), ("nj-edison", "nv-reno")):
        rows = list(
            StockLevel.objects.filter(location__code=source).select_related("product").order_by("product__sku")
        )
        candidates = [row for row in rows if row.available >= 10]
        picks = rng.sample(candidates, min(6, len(candidates)))
        lines = [(row.product.sku, min(row.available // 3, rng.randint(4, 24))) for row in sorted(picks, key=lambda r: r.product.sku)]
        if not lines:
            continue
        transfer = stock_transfer_create(source=source, destination=destination, lines=lines,
                                         reference=f"{TRANSFER_REFERENCE} {destination}", actor=manager)
        stock_transfer_dispatch(transfer_id=transfer.pk, actor=manager)
        report.created["transfers"] += 1


def _api_key(report: DemoReport, admin) -> None:
    if ApiKey.objects.filter(name=API_KEY_NAME).exists():
        return
    _, raw = ApiKey.generate(name=API_KEY_NAME, created_by=admin, integration=Integration.objects.get(code="storefront"))
    report.api_key = raw


def _summary(report: DemoReport) -> None:
    report.statuses = dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by("status"))
    report.holds = dict(
        OrderHold.objects.filter(released_at__isnull=True).values_list("reason").annotate(n=Count("id")).order_by("reason")
    )
    report.in_transit = Transfer.objects.filter(status=Transfer.Status.IN_TRANSIT).count()
    sample = (
        StockLevel.objects.filter(location__code="nj-edison", on_hand__gt=20).select_related("product").order_by("-on_hand", "product__sku").first()
    )
    if sample:
        report.sample_sku, report.sample_price = sample.product.sku, f"{sample.product.price:.2f}"


def demo_seed(*, orders: int = 3000, customers: int = 1000, skus: int = 300, progress: bool = True,
              say: Callable[[str], None] = lambda message: None, shipping: DemoShipping = ORDER_LEVEL_SHIPPING) -> DemoReport:
    """Seed the demo merchant; idempotent. Returns what was created and what the data now holds.

    ``shipping`` takes allocated orders through the warehouse (see :class:`DemoShipping`)."""
    started = time.monotonic()
    report = DemoReport()
    rng = random.Random(SEED)
    # Dates are relative to now ("the last 90 days"); no draw depends on the date, so a re-run
    # on another day plans the same orders and finds them recorded.
    now = timezone.now()
    products = catalogue_plan(rng, skus)
    scarce = {p.sku for p in products[:: max(1, len(products) // max(3, skus // 60))][: max(3, skus // 60)]}
    customer_seeds = customers_plan(rng, customers)
    order_plans = orders_plan(rng, orders, customer_seeds, products, scarce, now)
    receipts = stock_plan(rng, products, order_plans, scarce)

    say("Reference data: channels, locations, bins, customer groups")
    _reference_data(report)
    say(f"Catalogue: {len(products)} SKUs")
    _catalogue(products, report)
    _opening_stock(receipts, report, progress)
    say(f"Customers: {len(customer_seeds)}")
    _customers(customer_seeds, report)
    users = _users(report)
    _orders(order_plans, users, report, progress, shipping)
    _late_receipt(sorted(scarce), report)
    _transfers(rng, report, users["manager"])
    _api_key(report, users["admin"])
    _summary(report)
    report.seconds = time.monotonic() - started
    return report
