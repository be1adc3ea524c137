"""How a routing decision is kept on the order (``Order.routing``) for people to read later."""

from django.utils import timezone

from .engine import Decision

# Decisions kept per order: the first (intake's) and the latest few re-routings.
KEPT_DECISIONS = 5


def decision_record(decision: Decision, *, trigger: str, outcome: str, skus: dict[int, str]) -> dict:
    """The decision as stored: the engine's explanation plus when, why it ran and what followed.

    ``skus`` names products for the shortage (``{product id: sku}``).
    """
    record = decision.explanation()
    record["at"] = timezone.now().isoformat(timespec="seconds")
    record["trigger"] = trigger
    record["outcome"] = outcome
    record["missing"] = {skus.get(product_id, str(product_id)): units for product_id, units in sorted(decision.missing.items())}
    return record


def routing_with(previous: dict | None, record: dict) -> dict:
    """``Order.routing`` with ``record`` appended as the latest decision (the oldest re-routings
    make room; the first decision, intake's, is always kept)."""
    decisions = list((previous or {}).get("decisions", [])) + [record]
    if len(decisions) > KEPT_DECISIONS:
        decisions = decisions[:1] + decisions[-(KEPT_DECISIONS - 1):]
    return {"decisions": decisions}


def latest_decision(routing: dict | None) -> dict | None:
    decisions = (routing or {}).get("decisions") or []
    return decisions[-1] if decisions else None


def latest_replan(routing: dict | None) -> dict | None:
    """The latest re-planning of an order (``{"run_id", "saving"}``, written with the decision by
    ``orders.services.replanning``), or None when it was never re-planned."""
    for record in reversed((routing or {}).get("decisions") or []):
        if record.get("replan"):
            return record["replan"]
    return None


def replan_text(routing: dict | None) -> str:
    """"Re-planned: saved X (plan #id)", or "" when the order was never re-planned."""
    replan = latest_replan(routing)
    return f"Re-planned: saved {replan['saving']:.2f} (plan #{replan['run_id']})" if replan else ""


def first_decision(routing: dict | None) -> dict | None:
    decisions = (routing or {}).get("decisions") or []
    return decisions[0] if decisions else None


def shortage_text(record: dict) -> str:
    """The shortage in words, for a stock hold's detail."""
    missing = ", ".join(f"{sku} × {units}" for sku, units in record.get("missing", {}).items())
    return f"Not enough stock to ship it as this channel requires ({missing or 'see routing'}); {record['reason']}"
