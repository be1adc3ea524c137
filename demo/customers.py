"""The demo's customers: people across the US and Europe with valid addresses and phones, and
B2B accounts in every customer group (with their contract price lists)."""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import phonenumbers
from django.db import transaction

from customers.models import Customer, CustomerAddress, CustomerGroup, PriceList, PriceListItem
from orders.services import AddressData

from .catalogue import ProductSeed
from .report import DemoReport, money

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


def customer_groups_seed(report: DemoReport) -> None:
    """The B2B customer groups (idempotent, by code)."""
    for code, name, limit, terms in B2B_GROUPS:
        _, created = CustomerGroup.objects.get_or_create(
            code=code, defaults={"name": name, "credit_limit": limit, "credit_currency": "USD", "payment_terms_days": terms},
        )
        report.created["customer groups"] += created


# Contract prices per group: (list code, name, group, off list price, (from quantity, off) break).
GROUP_PRICE_LISTS = [
    ("wholesale-usd", "Wholesale USD", "wholesale", Decimal("0.15"), (12, Decimal("0.20"))),
    ("trade-usd", "Trade USD", "trade", Decimal("0.10"), (10, Decimal("0.15"))),
    ("b2b-new-usd", "New accounts USD", "b2b-new", Decimal("0.05"), None),
]
# The first wholesale account negotiated its own prices on a few best sellers.
ACCOUNT_PRICE_LIST = ("contract-first-wholesale", "Negotiated prices (first wholesale account)", Decimal("0.25"), 8)


def price_lists_seed(products: list[ProductSeed], customer_seeds: list[CustomerSeed], report: DemoReport, today) -> None:
    """The groups' contract price lists (a discount off list price, a deeper one from a quantity
    up), valid since four months back, and one account's own list overriding its group's on a few
    SKUs; after the customers (idempotent, by code)."""
    groups = {g.code: g for g in CustomerGroup.objects.all()}
    since = today - timedelta(days=120)

    def items(price_list: PriceList, off: Decimal, skus: list[ProductSeed], breaks=None) -> list[PriceListItem]:
        rows = [PriceListItem(price_list=price_list, sku=p.sku, price=money(p.price * (1 - off))) for p in skus]
        if breaks:
            quantity, deeper = breaks
            rows += [PriceListItem(price_list=price_list, sku=p.sku, min_quantity=quantity, price=money(p.price * (1 - deeper))) for p in skus]
        return rows

    rows = []
    for code, name, group, off, breaks in GROUP_PRICE_LISTS:
        price_list, created = PriceList.objects.get_or_create(
            code=code, defaults={"name": name, "currency": "USD", "customer_group": groups[group], "valid_from": since}
        )
        report.created["price lists"] += created
        rows += items(price_list, off, products, breaks)
    account = next((s for s in customer_seeds if s.group == "wholesale"), None)
    if account is not None:
        code, name, off, count = ACCOUNT_PRICE_LIST
        customer = Customer.objects.get(email=account.email)
        price_list, created = PriceList.objects.get_or_create(
            code=code, defaults={"name": name, "currency": "USD", "customer": customer, "valid_from": today - timedelta(days=60)}
        )
        report.created["price lists"] += created
        rows += items(price_list, off, products[:count])
    PriceListItem.objects.bulk_create(rows, ignore_conflicts=True)


def customers_seed(seeds: list[CustomerSeed], report: DemoReport) -> None:
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
