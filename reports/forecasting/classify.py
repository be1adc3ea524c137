"""Syntetos and Boylan's demand classes, from the observed periods of a series.

ADI (average demand interval) is the observed periods per period with demand; CV² is the squared
coefficient of variation (population) of the non-zero demand sizes. With their cut-offs
(ADI 1.32, CV² 0.49): smooth (frequent, steady), erratic (frequent, sizes vary), intermittent
(rare, sizes alike), lumpy (rare, sizes vary). Stockout periods are not observed and do not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


@dataclass(frozen=True)
class Classification:
    demand_class: str
    adi: float
    cv2: float


def demand_classify(values: np.ndarray, observed: np.ndarray | None = None) -> Classification | None:
    """The class of a series; ``None`` when it had no demand on any observed period."""
    seen = values if observed is None else values[observed]
    sizes = seen[seen > 0]
    if len(sizes) == 0:
        return None
    adi = len(seen) / len(sizes)
    cv2 = float((sizes.std() / sizes.mean()) ** 2)
    if adi <= ADI_CUTOFF:
        demand_class = "erratic" if cv2 > CV2_CUTOFF else "smooth"
    else:
        demand_class = "lumpy" if cv2 > CV2_CUTOFF else "intermittent"
    return Classification(demand_class=demand_class, adi=float(adi), cv2=cv2)
