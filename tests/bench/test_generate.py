"""The synthetic national generator at tiny scale, and agreement of the benchmark's methods.

Correctness only: no timings are asserted (the machine is small and shared).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from rich.console import Console

from bench import bench_coverage as bench
from bench.generate import NationalData, generate, main, write_gpkg
from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS, UNIT_COLUMNS, UNIT_TYPES, Level
from geo_service.settings import CoveragePolicy

SCALE = 0.01
EXPECTED_TYPES = {
    "patrol_team",
    "self_managed_group",
    "inter_household_group",
    "security_camera",
    "fire_safe_area",
    "reputable_persons",
    "grassroots_security",
    "street_protection_team",
    "social_security_team",
    "reintegration_support",
    "drug_free_area",
    "juvenile_education",
    "security_gong",
    "security_light",
    "security_gate",
    "security_movement",
}


@pytest.fixture(scope="module")
def data() -> NationalData:
    return generate(seed=7, scale=SCALE)


def test_counts_follow_scale(data: NationalData) -> None:
    per_level = data.units["level"].value_counts()
    assert per_level[int(Level.DISTRICT)] == 7
    assert per_level[int(Level.COMMUNE)] == 100
    assert per_level[int(Level.VILLAGE)] == 800
    assert len(data.models) == 200
    assert len(data.cameras) == 10_000
    assert 400 < len(data.teams) < 800  # about three teams per model


def test_frames_use_the_domain_column_layouts(data: NationalData) -> None:
    assert list(data.units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert list(data.models.columns) == MODEL_COLUMNS
    assert list(data.teams.columns) == [*TEAM_COLUMNS, "geometry"]
    assert str(data.units.crs) == "EPSG:4326"
    assert set(data.units["unit_type"]) <= set(UNIT_TYPES)
    for unit_type, level in (
        data.units[["unit_type", "level"]].drop_duplicates().itertuples(index=False)
    ):
        assert UNIT_TYPES[unit_type][1] == level


def test_catalogue_has_the_sixteen_types(data: NationalData) -> None:
    types = data.model_types.set_index("code")
    assert set(types.index) == EXPECTED_TYPES
    assert not types.loc["security_movement", "counts_as_model"]
    assert types.drop(index="security_movement")["counts_as_model"].all()
    assert set(data.models["type_code"]) <= EXPECTED_TYPES


def test_units_form_one_tree_that_tiles_the_bounding_box(data: NationalData) -> None:
    units = data.units
    assert units["code"].is_unique
    level_of = units.set_index("code")["level"]
    children = units[units["level"] > int(Level.PROVINCE)]
    assert (children["parent_code"].map(level_of) == children["level"] - 1).all()
    assert units.loc[units["level"] == int(Level.PROVINCE), "parent_code"].isna().all()
    assert shapely.is_valid(units.geometry.to_numpy()).all()
    area = shapely.area(units.geometry.to_numpy())
    for level in Level:
        if level is Level.PROVINCE:
            continue
        rows = (units["level"] == int(level)).to_numpy()
        child_area = pd.Series(area[rows]).groupby(units.loc[rows, "parent_code"].to_numpy())
        parent_area = pd.Series(area, index=units["code"]).loc[child_area.sum().index]
        np.testing.assert_allclose(child_area.sum().to_numpy(), parent_area.to_numpy())
    villages = data.villages.geometry.to_numpy()
    pairs = shapely.STRtree(villages).query(villages, predicate="overlaps")
    assert pairs.shape[1] == 0, "villages overlap"


def test_population_sums_up_the_tree(data: NationalData) -> None:
    units = data.units.set_index("code")
    communes = units[units["level"] == int(Level.COMMUNE)]
    village_sum = data.villages.groupby("parent_code")["population"].sum()
    assert (communes["population"] == village_sum.reindex(communes.index, fill_value=0)).all()


def test_teams_and_cameras_sit_in_their_village(data: NationalData) -> None:
    villages = data.villages.set_index("code").geometry
    for frame in (data.teams, data.cameras):
        assert shapely.within(
            frame.geometry.to_numpy(), villages.loc[frame["unit_code"]].to_numpy()
        ).all()
    commune_of_model = data.models.set_index("model_id")["unit_code"]
    commune_of_village = data.villages.set_index("code")["parent_code"]
    assert (
        data.teams["unit_code"].map(commune_of_village).to_numpy()
        == data.teams["model_id"].map(commune_of_model).to_numpy()
    ).all()


def test_camera_counts_match_camera_points(data: NationalData) -> None:
    per_team = data.cameras.groupby("team_id").size()
    assert (
        data.teams.set_index("team_id")["cameras"]
        == per_team.reindex(data.teams["team_id"], fill_value=0)
    ).all()
    assert data.models["cameras"].sum() == len(data.cameras)
    camera_models = data.models.loc[data.models["type_code"] == "security_camera", "model_id"]
    share = data.cameras["model_id"].isin(camera_models).mean()
    assert share > 0.3, "camera points should mostly belong to camera models"


def test_same_seed_same_data_and_other_seed_other_data(data: NationalData) -> None:
    again = generate(seed=7, scale=SCALE)
    pd.testing.assert_frame_equal(again.units, data.units)
    pd.testing.assert_frame_equal(again.models, data.models)
    pd.testing.assert_frame_equal(again.teams, data.teams)
    pd.testing.assert_frame_equal(again.cameras, data.cameras)
    other = generate(seed=8, scale=SCALE)
    assert not other.units.geometry.geom_equals(data.units.geometry).all()


def test_gpkg_round_trip(data: NationalData, tmp_path: Path) -> None:
    path = tmp_path / "national.gpkg"
    write_gpkg(data, path)
    layers = dict(pyogrio.list_layers(path))
    assert layers["units"] == "Polygon"
    assert layers["cameras"] == "Point"
    assert {"models", "teams", "model_types"} <= set(layers)
    units = pyogrio.read_dataframe(path, layer="units")
    assert list(units["code"]) == list(data.units["code"])
    assert units.geometry.geom_equals_exact(data.units.geometry, tolerance=1e-12).all()
    assert pyogrio.read_info(path, layer="cameras")["features"] == len(data.cameras)
    models = pyogrio.read_dataframe(path, layer="models")
    assert models["extra"].iloc[0] == "{}"


def test_cli_writes_the_geopackage(tmp_path: Path) -> None:
    out = tmp_path / "cli.gpkg"
    main(["--seed", "3", "--scale", "0.005", "--out", str(out)])
    assert pyogrio.read_info(out, layer="cameras")["features"] == 5_000


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(scale=0)


def test_point_assignment_agrees_with_sjoin_and_with_the_generator(data: NationalData) -> None:
    ours = bench.ours_camera_counts(data)
    baseline = bench.baseline_camera_counts(data)
    bench.check_counts(ours, baseline)
    truth = data.cameras.groupby("unit_code").size().reindex(ours.index, fill_value=0)
    assert (ours == truth).all()


def test_coverage_methods_agree(data: NationalData) -> None:
    policy, as_of = CoveragePolicy(), date(2025, 6, 30)
    ours = bench.ours_coverage(data, policy, as_of)
    baseline = bench.baseline_coverage(data, policy, as_of)
    bench.check_coverage(ours, baseline)
    communes = ours.covered[int(Level.COMMUNE)]
    assert len(communes) == 100
    assert 0 < communes.sum() < len(data.villages)
    assert ours.cameras is not None and 0 < ours.cameras.sum() < len(data.cameras)
    from_points = bench.ours_coverage_from_points(data, policy, as_of)
    bench.check_coverage(from_points, bench.baseline_coverage(data, policy, as_of, False))
    assert from_points.covered[int(Level.COMMUNE)].equals(communes)


def test_coverage_methods_agree_with_a_required_type(data: NationalData) -> None:
    policy = CoveragePolicy(min_active_models=2, required_types=["patrol_team"])
    as_of = date(2020, 1, 1)
    ours = bench.ours_coverage(data, policy, as_of)
    bench.check_coverage(ours, bench.baseline_coverage(data, policy, as_of))
    default = bench.ours_coverage(data, CoveragePolicy(), as_of)
    commune = int(Level.COMMUNE)
    assert ours.covered[commune].sum() < default.covered[commune].sum()


def test_check_reports_a_disagreement(data: NationalData) -> None:
    ours = bench.ours_camera_counts(data)
    wrong = ours.copy()
    wrong.iloc[0] += 1
    with pytest.raises(AssertionError, match="differ in 1 villages"):
        bench.check_counts(ours, wrong)


def test_benchmark_run_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "coverage.json"
    report = bench.run(seed=5, scale=0.002, repeat=1, out=out, console=Console(quiet=True))
    assert out.exists()
    assert len(report["results"]) == 3
    for row in report["results"]:
        assert row["answers_agree"]
        assert row["ours_median_s"] > 0 and row["baseline_median_s"] > 0
        assert row["ours_peak_mb"] >= 0
