"""Packing slips as one batch against one render per slip, in the same run.

    python bench/documents.py [--slips 500] [--rounds 1]

Builds ``--slips`` packing slips from plain data (4 lines, two addresses, a note, returns text,
a Code 128 and a QR code each; no database) and measures, per round:

1. **batch**: the path a wave printed from the admin takes (``documents_pdf``, which the document
   job renderer calls): chunks of 50 laid out in parallel worker processes (``OMS_DOCUMENTS_PROCESSES``,
   default one per CPU), their PDFs joined in order;
2. **batch-1p**: all slips as one HTML document, one layout, one PDF in this process
   (``packing_slips_pdf``), to show what the worker processes add;
3. **separate** (the baseline): ``packing_slips_pdf([slip])`` once per slip, as printing them one
   at a time would. Fonts stay loaded between renders in both cases (one font configuration per
   process), so the difference is the per-render work: stylesheet, cascade set-up, font subsetting
   and PDF writing.

It prints pages per second for each (wall clock), the CPU seconds each side used (this process
and its worker processes: on a shared machine the wall clock also counts other people's work),
the batch/separate ratio and the targets (batch at least 5x faster than separate renders, at least
25 pages/s). It also says which font subsetter WeasyPrint uses: without HarfBuzz's
(``libharfbuzz-subset0``) it falls back to fontTools, which costs a few hundred milliseconds per
PDF and dominates a one-slip render. Not a timed test: figures for a person to read.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader  # noqa: E402

from fulfillment.documents import DocumentAddress, PackingSlipDocument, PackingSlipLine, packing_slips_pdf  # noqa: E402
from fulfillment.documents.jobs import CHUNK_SIZE  # noqa: E402
from fulfillment.documents.rendering import documents_pdf, documents_processes  # noqa: E402

WAREHOUSE = DocumentAddress(name="Chicago DC", company="Acme Goods", line1="1200 W Dock Rd", city="Chicago", region="IL", postal_code="60607", country="US")


def slips_make(count: int) -> list[PackingSlipDocument]:
    return [
        PackingSlipDocument(
            fulfillment_order_number=f"FO-{n:06d}", order_number=f"1{n:07d}",
            ship_to=DocumentAddress(name=f"Customer {n}", line1=f"{n} Main Street", line2="Apt 2", city="Springfield", region="IL",
                                    postal_code="62701", country="US"),
            ship_from=WAREHOUSE,
            lines=tuple(PackingSlipLine(sku=f"SKU-{n % 300:04d}-{k}", name=f"Product {n % 300} variant {k}", quantity_ordered=k + 1,
                                        quantity_shipped=k + 1 if k else 1) for k in range(4)),
            customer_note="Please ring the bell twice." if n % 3 == 0 else "",
            returns_instructions="Return unused items within 30 days: put this slip in the parcel and drop it at any post office.",
        )
        for n in range(count)
    ]


def _pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def _cpu_seconds() -> float:
    # This process and its waited-for children (the batch's worker processes).
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(render) -> tuple[float, float, int]:
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    pages = render()
    return time.perf_counter() - started, _cpu_seconds() - cpu_started, pages


def _font_subsetter() -> str:
    from weasyprint.text.ffi import harfbuzz_subset

    return "HarfBuzz" if harfbuzz_subset else "fontTools (libharfbuzz-subset0 is not installed)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slips", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    slips = slips_make(args.slips)
    packing_slips_pdf(slips[:2])  # warm up: fonts registered, templates compiled, as in a running worker

    sides = {
        "batch": lambda: _pages(documents_pdf("packing_slips", slips, chunk_size=CHUNK_SIZE).content),
        "batch-1p": lambda: _pages(packing_slips_pdf(slips)),
        "separate": lambda: sum(_pages(packing_slips_pdf([slip])) for slip in slips),
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in sides}
    for round_number in range(args.rounds):
        for name, render in sides.items():
            seconds, cpu, pages = _timed(render)
            results[name].append((seconds, cpu, pages))
            print(f"round {round_number + 1}: {name:<9} {pages} pages in {seconds:6.2f} s = {pages / seconds:6.1f} pages/s "
                  f"({cpu:6.2f} CPU s)", flush=True)

    median = {name: statistics.median(seconds for seconds, _, _ in runs) for name, runs in results.items()}
    median_cpu = {name: statistics.median(cpu for _, cpu, _ in runs) for name, runs in results.items()}
    pages = results["batch"][0][2]
    print(f"\n{args.slips} packing slips, median of {args.rounds} round(s), batch with {documents_processes()} worker process(es), "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}, fonts subset by {_font_subsetter()}:")
    for name in sides:
        print(f"  {name:<9} {median[name]:7.2f} s  {pages / median[name]:6.1f} pages/s  "
              f"{median_cpu[name]:7.2f} CPU s = {median_cpu[name] / pages * 1000:6.1f} CPU ms/page")
    ratio = median["separate"] / median["batch"]
    print(f"  batch is {ratio:.2f}x faster than separate renders (baseline: separate, same run)")
    print(f"  targets: batch >= 5x separate: {'met' if ratio >= 5 else 'NOT met'}; "
          f"batch >= 25 pages/s: {'met' if pages / median['batch'] >= 25 else 'NOT met'}")


if __name__ == "__main__":
    main()
