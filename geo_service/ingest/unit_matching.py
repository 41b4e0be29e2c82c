"""Match register rows to units: by code first, else by name within the parent.

Never guesses: a name that matches no unit or several is an error that lists the
candidates and fuzzy suggestions for a person to choose from.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd

from geo_service.domain import Level
from geo_service.hierarchy import valid_on
from geo_service.names import NameIndex, NameMatch
from geo_service.validate import ValidationReport

GLOBAL = ""


def _index(units: gpd.GeoDataFrame, *, by_parent: bool) -> NameIndex:
    rows = units[["code", "name", "parent_code"]].drop_duplicates(["code", "parent_code"])
    parents = rows["parent_code"].fillna(GLOBAL) if by_parent else [GLOBAL] * len(rows)
    return NameIndex(zip(rows["code"], rows["name"], parents, strict=True))


class UnitMatcher:
    def __init__(self, units: gpd.GeoDataFrame) -> None:
        self._units = units
        levels = units["level"]
        self._communes = units[levels == int(Level.COMMUNE)]
        self._names = {code: name for code, name in zip(units["code"], units["name"], strict=True)}
        self._provinces = _index(units[levels == int(Level.PROVINCE)], by_parent=False)
        self._districts = _index(units[levels == int(Level.DISTRICT)], by_parent=True)
        self._communes_by_parent = _index(self._communes, by_parent=True)
        self._communes_anywhere = _index(self._communes, by_parent=False)
        self._villages = _index(units[levels == int(Level.VILLAGE)], by_parent=True)

    def commune(
        self,
        *,
        code: str,
        name: str,
        district: str,
        province: str,
        on: date | None,
        row: int,
        columns: dict[str, str],
        report: ValidationReport,
    ) -> str | None:
        """The commune's code, from "Mã xã" or from its name within district/province."""
        if code:
            candidates = self._communes[self._communes["code"] == code]
            if candidates.empty:
                report.error(
                    f"unknown commune code '{code}'",
                    row=row,
                    field=columns.get("commune_code"),
                    code="unknown_code",
                )
                return None
            if on is not None and not valid_on(candidates, on).any():
                report.warning(
                    f"commune {code} did not exist on {on.isoformat()}",
                    row=row,
                    field=columns.get("commune_code"),
                )
            return code
        parent = GLOBAL
        if province:
            parent = (
                self._resolve(
                    self._provinces.lookup(province, GLOBAL),
                    province,
                    "province",
                    row,
                    columns.get("province_name"),
                    report,
                )
                or GLOBAL
            )
        if district:
            district_code = self._resolve(
                self._districts.lookup(district, parent)
                if parent
                else _index(
                    self._units[self._units["level"] == int(Level.DISTRICT)], by_parent=False
                ).lookup(district, GLOBAL),
                district,
                "district",
                row,
                columns.get("district_name"),
                report,
            )
            if district_code is None:
                return None
            parent = district_code
        index = self._communes_by_parent if parent else self._communes_anywhere
        return self._resolve(
            index.lookup(name, parent), name, "commune", row, columns.get("commune_name"), report
        )

    def village(
        self, name: str, commune_code: str, *, row: int, field: str, report: ValidationReport
    ) -> str | None:
        where = f"{commune_code} ({self._names.get(commune_code, '?')})"
        return self._resolve(
            self._villages.lookup(name, commune_code),
            name,
            f"village in commune {where}",
            row,
            field,
            report,
        )

    def _resolve(
        self,
        match: NameMatch,
        name: str,
        what: str,
        row: int,
        field: str | None,
        report: ValidationReport,
    ) -> str | None:
        if match.status == "exact":
            return match.code
        if match.status == "ambiguous":
            listed = ", ".join(f"{c} ({self._names.get(c, '?')})" for c in match.candidates)
            report.error(
                f"'{name}' matches several {what}s: {listed}; use the code",
                row=row,
                field=field,
                code="ambiguous",
            )
            return None
        hint = ""
        if match.suggestions:
            hint = (
                "; did you mean "
                + ", ".join(f"'{n}' ({c}, score {s:.0f})" for c, n, s in match.suggestions)
                + "?"
            )
        report.error(f"no {what} named '{name}'{hint}", row=row, field=field, code="unmatched")
        return None
