"""The model-type catalogue a register is read against, and what its import writes of it.

A store gets the bundled catalogue (``catalogue/model_types.csv``, aliases included) with
its first register. A store whose catalogue was written before the catalogue had aliases
takes the bundled aliases of the types it holds with its next register import, in the
same transaction; aliases a store already holds are its own and are kept.
"""

from __future__ import annotations

import pandas as pd

from geo_service.domain import MODEL_TYPE_COLUMNS
from geo_service.settings import PACKAGE_DIR

CATALOGUE = PACKAGE_DIR / "catalogue" / "model_types.csv"


def bundled_catalogue() -> pd.DataFrame:
    """The model-type catalogue shipped with the service."""
    frame = pd.read_csv(CATALOGUE, dtype=str, keep_default_na=False)
    frame["counts_as_model"] = frame["counts_as_model"].str.lower().eq("true")
    return frame[MODEL_TYPE_COLUMNS]


def register_catalogue(held: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The catalogue to match a register's types with, and the rows to write (None: none).

    ``held`` is the store's catalogue: empty, the bundled one is both; otherwise the held
    types without aliases take the bundled aliases of the same code.
    """
    bundled = bundled_catalogue()
    if held.empty:
        return bundled, bundled
    given = held["aliases"].where(held["aliases"].notna(), "").astype(str).str.strip()
    bundled_aliases = held["code"].map(dict(zip(bundled["code"], bundled["aliases"], strict=True)))
    takes = given.eq("").to_numpy() & bundled_aliases.fillna("").ne("").to_numpy()
    if not takes.any():
        return held, None
    completed = held.assign(aliases=given.where(~takes, bundled_aliases))
    return completed, completed.loc[takes, MODEL_TYPE_COLUMNS].reset_index(drop=True)
