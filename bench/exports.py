"""Accountants' exports of 100,000 and 1,000,000 order lines to CSV and XLSX: rows per second
against PostgreSQL's own ``COPY (SELECT the same columns) TO STDOUT`` of the same rows in the same
run, and the peak memory of each export (it must not grow with the size).

    .venv/bin/python bench/exports.py            # EXPORTS_BENCH_LINES=1000000 by default

On a throw-away PostgreSQL database (``oms_rexports_bench``; ``BENCH_EXPORTS_DATABASE_URL`` to
point elsewhere): 250,000 orders of 4 lines are generated inside PostgreSQL (``INSERT ... SELECT
generate_series``, straight into ``orders_order`` and ``orders_orderline``); one line in four has a
name a spreadsheet would run as a formula. The first 25,000 orders (100,000 lines) are on the
``web`` channel, the rest on ``b2b``: the small export is the ``order_lines`` export filtered by
``channel=web``, the large one the same export unfiltered, exactly as the API asks for them.

Each measurement runs in a subprocess of its own (so its peak memory is its own):
- ``copy``: ``COPY (<the export queryset's SQL and parameters>) TO STDOUT (FORMAT csv)``, the bytes
  read by psycopg and thrown away: the baseline;
- ``csv`` / ``xlsx``: ``reports.export_files`` (the code the admin and the jobs use), bytes thrown
  away (XLSX: its temporary sheet file on local disk, then the zip into a counting sink);
- ``job``: the whole job path for CSV, ``export_job_run``: rows into chunks of 1 MiB stored in the
  database, progress and lease renewed per batch.
Peak memory is the subprocess's peak resident size (VmHWM, reset just before the export begins,
Django loaded and the connection open) and its growth over what the process held then. Not a timed test: it prints figures for a person.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
URL = os.environ.get("BENCH_EXPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_rexports_bench")
LINES = int(os.environ.get("EXPORTS_BENCH_LINES", "1000000"))
LINES_PER_ORDER = 4
SMALL = 100_000

import intake  # noqa: E402  (bench/intake.py: database set-up)


def generate(lines: int) -> None:
    """``lines`` order lines (4 per order) inside PostgreSQL; the first 100,000 on ``web``."""
    from django.db import connection

    from orders.models import Channel

    web = Channel.objects.get(code="web").pk
    b2b = Channel.objects.create(code="b2b", name="B2B portal", kind="b2b").pk
    orders = lines // LINES_PER_ORDER
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (number, channel_id, external_id, email, status, payment_status, currency, subtotal,
                shipping_price, discount_total, tax_total, grand_total, shipping_address, billing_address, ship_country,
                placed_at, created_at, updated_at, version, note, routing, platform_risk)
            SELECT 'BX-' || lpad(g::text, 8, '0'), CASE WHEN g <= %s THEN %s ELSE %s END, 'bx-' || g, 'c' || (g %% 1000) || '@bench.example',
                'shipped', 'paid', 'EUR', 199.000, 4.900, 0, 31.774, 203.900, '{}'::jsonb, '{}'::jsonb, 'DE',
                timestamptz '2026-01-01 00:00+00' + g * interval '2 minutes', now(), now(), 1, '', '{}'::jsonb, ''
            FROM generate_series(1, %s) AS g
            """,
            [SMALL // LINES_PER_ORDER, web, b2b, orders],
        )
        cursor.execute(
            """
            INSERT INTO orders_orderline (order_id, line_number, sku, name, quantity, unit_price, discount, tax, line_total,
                quantity_reserved, quantity_shipped, quantity_returned, external_line_id)
            SELECT o.id, l, 'B-' || lpad(((o.id * 7 + l) %% 200)::text, 4, '0'),
                CASE WHEN l = 4 THEN '=SUM(A1:A9) bench item' ELSE 'Bench item ' || l END,
                l, 19.900, 0.000, 3.177, 19.900 * l, 0, l, 0, ''
            FROM orders_order AS o CROSS JOIN generate_series(1, %s) AS l
            """,
            [LINES_PER_ORDER],
        )
        cursor.execute("ANALYZE orders_order; ANALYZE orders_orderline")


def _rows(size: int):
    from reports.export_resources import export_resource_for

    resource = export_resource_for("order_lines")
    return resource, resource.rows(filters={"channel": "web"} if size == SMALL else {})


class _Counting:
    """A sink that keeps only the count of the bytes written to it."""

    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def measure(kind: str, size: int) -> dict:
    """One measurement in this process (a subprocess of the bench)."""
    intake._django_setup(URL)
    from django.db import connection

    from reports.export_files import csv_pieces, xlsx_write

    resource, rows = _rows(size)
    connection.ensure_connection()
    rss_before = peak_reset()
    started = time.perf_counter()
    written, count = 0, 0
    if kind == "copy":
        paths = [field.attribute for field in resource.export_fields()]
        sql, params = rows.values_list(*paths).query.sql_with_params()
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)", params) as copy:
            for data in copy:
                written += len(data)
                count += bytes(data).count(b"\n")
        count -= 1
    elif kind == "csv":
        done = []
        for piece in csv_pieces(resource, rows, on_rows=done.append):
            written += len(piece)
        count = done[-1]
    elif kind == "xlsx":
        sink = _Counting()
        count = xlsx_write(resource, rows, sink)
        written = sink.size
    elif kind == "job":
        from reports import exports
        from reports.exports import export_job_run, export_job_start

        exports._enqueue = lambda job_id: None  # no broker here: the task would run inside export_job_start
        job = export_job_start(kind="order_lines", format="csv", selection={"filters": {"channel": "web"} if size == SMALL else {}}, actor="bench")
        started = time.perf_counter()
        assert export_job_run(job_id=job.pk) == "done"
        job.refresh_from_db()
        written, count = job.size, job.rows_done
    elapsed = time.perf_counter() - started
    return {"kind": kind, "size": size, "rows": count, "bytes": written, "seconds": elapsed,
            "rss_before_mb": rss_before, "rss_peak_mb": resource_maxrss()}


def resource_maxrss() -> float:
    """The process's peak resident memory in MB since the last ``peak_reset`` (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_reset() -> float:
    """Start measuring the peak afresh (Linux: writing 5 to clear_refs resets VmHWM to the
    current resident size, which this returns): what Django and the import took stays out."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return resource_maxrss()


def _subprocess(kind: str, size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", kind, str(size)], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"Generating {LINES:,} order lines in {URL.rsplit('/', 1)[1]} ...", flush=True)
    intake.recreate_database(URL)
    intake._django_setup(URL)
    intake.seed()
    started = time.perf_counter()
    generate(LINES)
    print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    sizes = [SMALL, LINES] if LINES > SMALL else [SMALL]
    results = {}
    for size in sizes:
        for kind in ("copy", "csv", "xlsx", "job"):
            result = _subprocess(kind, size)
            results[(kind, size)] = result
            print(f"  {kind:>4} {size:>9,} rows: {result['rows'] / result['seconds']:>10,.0f} rows/s  "
                  f"{result['bytes'] / 1e6:8.1f} MB  peak {result['rss_peak_mb']:.0f} MB (+{result['rss_peak_mb'] - result['rss_before_mb']:.1f})",
                  flush=True)
            assert result["rows"] == size, result
    print()
    print("| Export | Rows | Rows/s | vs COPY | Peak memory (growth during the export) |")
    print("|---|---|---|---|---|")
    names = {"copy": "baseline: PostgreSQL COPY ... TO STDOUT (csv)", "csv": "CSV (reports.export_files)", "xlsx": "XLSX (openpyxl write-only)",
             "job": "CSV job (chunks stored in PostgreSQL)"}
    for size in sizes:
        copy_rate = results[("copy", size)]["rows"] / results[("copy", size)]["seconds"]
        for kind in ("copy", "csv", "xlsx", "job"):
            result = results[(kind, size)]
            rate = result["rows"] / result["seconds"]
            ratio = "" if kind == "copy" else f"{100 * rate / copy_rate:.0f}%"
            print(f"| {names[kind]} | {size:,} | {rate:,.0f} | {ratio} | {result['rss_peak_mb']:.0f} MB (+{result['rss_peak_mb'] - result['rss_before_mb']:.1f} MB) |")
    if len(sizes) == 2:
        print()
        for kind in ("csv", "xlsx", "job"):
            small, large = results[(kind, sizes[0])], results[(kind, sizes[1])]
            change = 100 * (large["rss_peak_mb"] - small["rss_peak_mb"]) / small["rss_peak_mb"]
            print(f"{kind}: peak memory {small['rss_peak_mb']:.0f} MB at {sizes[0]:,} rows, {large['rss_peak_mb']:.0f} MB at {sizes[1]:,} ({change:+.1f}%)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
