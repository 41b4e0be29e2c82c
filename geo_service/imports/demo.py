"""The bundled demo: seed communes, their 2025 successors, lineage, former names, villages
and the demo register, imported through the same pipeline as any user's files."""

from __future__ import annotations

from datetime import date

from geo_service.imports.options import VillageOptions
from geo_service.imports.pipeline import (
    ImportOutcome,
    import_boundaries,
    import_former_names,
    import_lineage,
    import_models,
    import_villages,
)
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import Store

DEMO_REGISTER = DEMO_DATA_DIR.parent / "registers" / "demo_models.csv"
DEMO_VILLAGES_ON = date(2025, 6, 30)


def load_demo(store: Store) -> list[ImportOutcome]:
    """Load the bundled seed communes, their 2025 successors, villages and demo register
    (with the model-type catalogue)."""
    steps = [
        lambda: import_boundaries(store, DEMO_DATA_DIR / "units_pre2025.geojson"),
        lambda: import_boundaries(store, DEMO_DATA_DIR / "units_2025.geojson"),
        lambda: import_lineage(store, DEMO_DATA_DIR / "lineage_2025.csv"),
        lambda: import_former_names(store, DEMO_DATA_DIR / "former_names.csv"),
        # The demo's village list names pre-2025 communes.
        lambda: import_villages(
            store, DEMO_DATA_DIR / "village_points.csv", VillageOptions(as_of=DEMO_VILLAGES_ON)
        ),
        lambda: import_models(store, DEMO_REGISTER),
    ]
    return [step() for step in steps]
