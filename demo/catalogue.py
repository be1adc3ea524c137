"""The demo's stock side (inventory): locations with bins along a pick path, the catalogue,
opening receipts enough for the planned orders, bins for every stock row, and replenishment
transfers to the stores in transit."""

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from tqdm import tqdm

from inventory.models import Bin, Location, Product, StockLevel, StockMovement, Transfer
from inventory.services import product_create, stock_receive_lines, stock_transfer_create, stock_transfer_dispatch

from .clock import seeding_clock
from .report import DemoReport, money

if TYPE_CHECKING:
    from .orders import OrderSeed

OPENING_REFERENCE = "DEMO-OPENING"
OLD_STOCK_REFERENCE = "DEMO-OLD-STOCK"
TRANSFER_REFERENCE = "DEMO-REPLENISHMENT"

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


# The merchandising group of each catalogue code (reports split return rates and stock by it).
CATEGORIES = {
    "Apparel": ("TEE", "HOOD", "SOCK", "JKT", "LEGG", "SHRT", "CHNO"),
    "Footwear": ("SNKR", "BOOT"),
    "Accessories": ("CAP", "BEAN", "GLSS", "WLLT", "BELT", "TOTE", "UMBR"),
    "Kitchen": ("MUG", "BOWL", "GLAS", "PAN", "KNF", "SHKR", "FRPN", "KTTL", "BRD"),
    "Home": ("DUVT", "SHTS", "PLLW", "TWL", "CNDL", "BLNK", "PLNT"),
    "Fitness": ("YOGA", "DMBL", "BAND"),
    "Outdoor": ("BTL", "PACK", "LAMP", "TENT", "SLBG"),
    "Electronics": ("CBL", "CHG", "CASE", "KBD", "MSE", "EAR", "SPK", "STND", "PWR"),
    "Stationery": ("NTBK", "PEN", "PLNR"),
}
CATEGORY_OF = {code: category for category, codes in CATEGORIES.items() for code in codes}


@dataclass
class ProductSeed:
    sku: str
    name: str
    gtin: str
    price: Decimal
    cost: Decimal
    weight_grams: int
    dims: tuple[int, int, int]
    category: str = ""


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
                    cost=money(base * Decimal(str(rng.uniform(0.32, 0.55)))),
                    weight_grams=max(10, int(grams * rng.uniform(0.95, 1.05))), dims=dims, category=CATEGORY_OF[code],
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


def stock_plan(rng: random.Random, products: list[ProductSeed], orders: "list[OrderSeed]", scarce: set[str]) -> list[tuple[str, str, int]]:
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


def locations_seed(report: DemoReport) -> None:
    """Warehouses and stores, each with its bins along the pick path (idempotent, by code)."""
    for spec in LOCATIONS:
        location, created = Location.objects.get_or_create(code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})
        report.created["locations"] += created
        if not location.bins.exists():
            report.created["bins"] += len(Bin.objects.bulk_create(_bins(location), ignore_conflicts=True))


def catalogue_seed(products: list[ProductSeed], report: DemoReport) -> None:
    """The planned products, through ``product_create`` (idempotent, by SKU)."""
    existing = set(Product.objects.filter(sku__in=[p.sku for p in products]).values_list("sku", flat=True))
    with transaction.atomic():
        for seed in products:
            if seed.sku in existing:
                continue
            length, width, height = seed.dims
            product_create(
                sku=seed.sku, name=seed.name, price=seed.price, currency="USD", actor="demo", gtin=seed.gtin, cost=seed.cost,
                weight_grams=seed.weight_grams, length_mm=length, width_mm=width, height_mm=height, category=seed.category,
            )
            report.created["products"] += 1


def opening_stock_seed(receipts: list[tuple[str, str, int]], report: DemoReport, progress: bool, now: datetime.datetime) -> None:
    """The opening receipts not received yet, through ``stock_receive_lines``, delivered a few days
    before the history's first order (so the ledger's running position is true all along and the
    forecasts read 90 days of demand, not a year of silence); then old stock of a few slow lines,
    and bins for every stock row."""
    done = set(
        StockMovement.objects.filter(reference=OPENING_REFERENCE).values_list("product__sku", "location__code")
    )
    todo = [r for r in receipts if (r[0], r[1]) not in done]
    with transaction.atomic():
        # Deliveries of up to 100 lines, as goods arrive against purchase orders, a day apart.
        chunks = [todo[start:start + 100] for start in range(0, len(todo), 100)]
        with tqdm(total=len(todo), desc="Receiving stock", unit="line", disable=not progress or not todo) as bar:
            for number, chunk in enumerate(chunks):
                with seeding_clock(now - datetime.timedelta(days=100 - number % 5)):
                    stock_receive_lines(lines=chunk, reference=OPENING_REFERENCE, actor="demo:receiving")
                report.created["receipts"] += len(chunk)
                bar.update(len(chunk))
        _old_stock_seed(sorted({sku for sku, _, _ in receipts}), report, now)
        _slot(report)


def _old_stock_seed(skus: list[str], report: DemoReport, now: datetime.datetime) -> None:
    """Every twelfth SKU has a delivery from long ago at the first warehouse (200 to 400 days old):
    the aged stock the finance dashboard shows, and the slow history its forecast reads."""
    if StockMovement.objects.filter(reference=OLD_STOCK_REFERENCE).exists():
        return
    for number, sku in enumerate(skus[::12]):
        with seeding_clock(now - datetime.timedelta(days=200 + 50 * (number % 5))):
            stock_receive_lines(lines=[(sku, WAREHOUSES[0], 4 + number % 9)], reference=OLD_STOCK_REFERENCE, actor="demo:receiving")
        report.created["receipts"] += 1


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


def transfers_seed(rng: random.Random, report: DemoReport, manager) -> None:
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
