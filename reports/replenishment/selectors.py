"""Reads of the replenishment suggestions (the console list and the API share them)."""

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum

from oms.errors import InvalidInput

from ..models_replenishment import ReplenishmentRun, SuggestionLine


def latest_run() -> ReplenishmentRun | None:
    return ReplenishmentRun.objects.filter(finished_at__isnull=False).order_by("-created_at", "-pk").first()


def suggestions_filter(*, run=None, location=None, supplier=None, abc_class=None, kind=None, status=None) -> QuerySet[SuggestionLine]:
    """The lines of ``run`` (default: the latest run), filtered; bad filter values are named."""
    problems = {}
    if abc_class is not None and abc_class not in ("A", "B", "C"):
        problems["abc_class"] = ["One of A, B, C."]
    if kind is not None and kind not in SuggestionLine.Kind.values:
        problems["kind"] = [f"One of {', '.join(SuggestionLine.Kind.values)}."]
    if status is not None and status not in SuggestionLine.Status.values:
        problems["status"] = [f"One of {', '.join(SuggestionLine.Status.values)}."]
    if run is not None and not (str(run).isdigit() and 0 < int(run) < 2**31):
        problems["run"] = ["A run id (a positive whole number)."]
    if problems:
        raise InvalidInput("Some filters are malformed: " + " ".join(f"{k}: {v[0]}" for k, v in problems.items()), fields=problems)
    if run is None:
        found = latest_run()
        run = found.pk if found else None
    lines = SuggestionLine.objects.filter(run_id=run).select_related("product", "location", "from_location", "supplier", "purchase_order", "transfer")
    if location:
        lines = lines.filter(location__code=location)
    if supplier:
        lines = lines.filter(supplier__code=supplier)
    if abc_class:
        lines = lines.filter(abc_class=abc_class)
    if kind:
        lines = lines.filter(kind=kind)
    if status:
        lines = lines.filter(status=status)
    return lines.order_by("kind", "location__code", "product__sku", "pk")


def suggestions_with_order_totals(lines: QuerySet[SuggestionLine]) -> QuerySet[SuggestionLine]:
    """``lines`` with ``order_units`` and ``order_value``: the units and value of the open buy lines
    of the same run, supplier and location, i.e. the draft PO accepting them all would make (in
    the same query, whatever the number of lines)."""
    group = SuggestionLine.objects.filter(
        run_id=OuterRef("run_id"), supplier_id=OuterRef("supplier_id"), location_id=OuterRef("location_id"),
        kind=SuggestionLine.Kind.BUY, status=SuggestionLine.Status.OPEN,
    ).order_by().values("run_id")
    value = Sum(F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=20, decimal_places=4))
    return lines.annotate(
        order_units=Subquery(group.annotate(total=Sum("quantity")).values("total")),
        order_value=Subquery(group.annotate(total=value).values("total"), output_field=DecimalField(max_digits=20, decimal_places=4)),
    )
