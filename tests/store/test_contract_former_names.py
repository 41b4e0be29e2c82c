"""The store contract, former names: units' names before a rename, upserted on (code, name),
read by code and name, empty in an empty store, and taken back by undo."""

from __future__ import annotations

from datetime import date

import pandas as pd

from geo_service.domain import FORMER_NAME_COLUMNS
from geo_service.store import ImportBatch, Store
from tests.store.samples import SOURCE

VAN_HA = {"code": "15772", "name": "Thị trấn Vạn Hà", "until": None, "source": "SOURCES.md"}
OLDER = {"code": "09496", "name": "Xã Cũ", "until": "2020-01-01", "source": "test.geojson"}


def test_an_empty_store_has_no_former_names(store: Store) -> None:
    names = store.former_names()
    assert names.empty and list(names.columns) == FORMER_NAME_COLUMNS


def test_former_names_upsert_on_code_and_name(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, former_names=pd.DataFrame([VAN_HA, OLDER])))
    store.apply(ImportBatch(SOURCE, former_names=pd.DataFrame([VAN_HA | {"source": "later"}])))
    names = store.former_names()
    assert names["code"].tolist() == ["09496", "15772"]  # by code, then name
    assert names["until"].tolist() == [date(2020, 1, 1), None]
    assert names["source"].tolist() == ["test.geojson", "later"]


def test_undo_takes_back_the_former_names_an_import_wrote(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, former_names=pd.DataFrame([VAN_HA])))
    second = store.apply(
        ImportBatch(SOURCE, former_names=pd.DataFrame([VAN_HA | {"source": "x"}, OLDER]))
    )
    assert store.imports().set_index("id").loc[second, "counts"] == {"former_names": 2}
    store.undo(second)
    assert store.former_names().to_dict("records") == [VAN_HA]
