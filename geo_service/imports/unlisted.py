"""Models a re-imported register no longer lists: reported, and ended only when asked.

A register without model keys speaks for the communes it lists: a model stored in one of
them, keyed the same way (``identity.is_derived``), that the register does not list and
that has not ended is "no longer listed". Registers with their own keys are left as they
always were. The import says so
for each, as a warning; with ``dissolve`` it ends them on the import's day (``ended_on``):
the model and its teams stay, with their history, and count before that day only. Nothing
is ever deleted for being left out of a register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo_service.ingest.registers.identity import is_derived
from geo_service.ingest.registers.read import RegisterRows
from geo_service.ingest.report import ValidationReport
from geo_service.store import Store


@dataclass(frozen=True)
class Unlisted:
    """The models a register no longer lists, and what the import writes of them."""

    models: pd.DataFrame  # as stored
    ended: pd.DataFrame  # the same with ``ended_on``, when dissolving (else empty)
    teams: pd.DataFrame  # their teams as stored, kept when their model is written


def with_unlisted(
    store: Store, rows: RegisterRows, report: ValidationReport, *, dissolve: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The models and teams a register's import writes: the register's own, and, for a
    register without keys, with ``dissolve`` the models it no longer lists, ended today,
    with their teams as they are (teams are replaced per model)."""
    if not report.ok or rows.keyed:
        return rows.models, rows.teams
    gone = no_longer_listed(store, rows.models, report, dissolve=dissolve, on=date.today())
    if gone.ended.empty:
        return rows.models, rows.teams
    models = pd.concat([rows.models, gone.ended], ignore_index=True)
    return models, pd.concat([rows.teams, gone.teams], ignore_index=True)


def unlisted_models(store: Store, listed: pd.DataFrame) -> pd.DataFrame:
    """Stored models with derived keys in the communes ``listed`` (a register's models)
    names, that it does not list and that have not ended."""
    communes = sorted(set(listed["unit_code"].tolist()))
    if not communes:
        return listed.iloc[0:0]
    held = store.models(unit_codes=communes)
    ids = held["model_id"]
    derived = ids.map(is_derived).astype(bool)
    gone = derived & ~ids.isin(set(listed["model_id"])) & held["ended_on"].isna()
    return held.loc[gone].reset_index(drop=True)


def no_longer_listed(
    store: Store,
    listed: pd.DataFrame,
    report: ValidationReport,
    *,
    dissolve: bool,
    on: date,
) -> Unlisted:
    """Report each model no longer listed; with ``dissolve``, the same models ended ``on``."""
    gone = unlisted_models(store, listed)
    for model in gone.itertuples():
        said = (
            f"model '{model.model_id}' ('{model.name}', {model.type_code}) in commune "
            f"{model.unit_code} is no longer listed in {report.file}"
        )
        if dissolve:
            said += f": ended on {on.isoformat()} (kept, with its history)"
        else:
            said += (
                f"; it stays as it is (import with --dissolve-unlisted to end it on "
                f"{on.isoformat()})"
            )
        report.warning(said, code="no_longer_listed")
    if not dissolve or gone.empty:
        return Unlisted(gone, gone.iloc[0:0], pd.DataFrame())
    teams = store.teams(model_ids=gone["model_id"].tolist())
    return Unlisted(gone, gone.assign(ended_on=on), teams)
