"""Importing the same files twice changes nothing; a corrected file updates in place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from geo_service.imports.demo import DEMO_REGISTER, DEMO_VILLAGES_ON
from geo_service.imports.options import VillageOptions
from geo_service.imports.pipeline import (
    import_boundaries,
    import_lineage,
    import_models,
    import_villages,
)
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import Store


def test_reimporting_every_demo_file_changes_nothing(demo_store: Store) -> None:
    log_before = len(demo_store.imports())
    units_before = demo_store.units()
    outcomes = [
        import_boundaries(demo_store, DEMO_DATA_DIR / "units_pre2025.geojson"),
        import_boundaries(demo_store, DEMO_DATA_DIR / "units_2025.geojson"),
        import_lineage(demo_store, DEMO_DATA_DIR / "lineage_2025.csv"),
        import_villages(
            demo_store,
            DEMO_DATA_DIR / "village_points.csv",
            VillageOptions(as_of=DEMO_VILLAGES_ON),
        ),
        import_models(demo_store, DEMO_REGISTER),
    ]
    assert [o.changed for o in outcomes] == [False] * 5
    assert all(o.import_id is None for o in outcomes)
    assert len(demo_store.imports()) == log_before
    pd.testing.assert_frame_equal(demo_store.units(), units_before)


def test_corrected_register_updates_in_place(demo_store: Store, tmp_path: Path) -> None:
    text = DEMO_REGISTER.read_text(encoding="utf-8")
    corrected = tmp_path / "demo_models.csv"
    corrected.write_text(text.replace("16/06/2022", "17/06/2022"), encoding="utf-8")
    outcome = import_models(demo_store, corrected)
    assert outcome.changes["models"].updated == 1
    assert outcome.changes["models"].new == 0
    assert outcome.changes["teams"].updated == 0
    patrol = demo_store.models(unit_codes=["09496"])
    assert patrol["launch_date"].tolist() == [date(2022, 6, 17)]
    assert len(demo_store.models()) == 23
