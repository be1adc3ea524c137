"""What a call that changes many items at once reports: each item's outcome, so one refused SKU
does not hide the others that went through."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemError:
    key: str  # what the caller named the item by (an inventory item id, a product id)
    code: str
    message: str


@dataclass
class BatchResult:
    succeeded: list[str] = field(default_factory=list)
    failed: list[ItemError] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failed
