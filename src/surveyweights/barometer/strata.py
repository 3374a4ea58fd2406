"""The strata of the Flemish AI-Barometer 2025 (Tabel 1 and 2), its sectors and size classes.

Source: *AI-Barometer 2025* (Vlaamse overheid, February 2026), section 3.2-3.3,
Tabel 1 (population and sample counts per stratum; sample counts printed in
italics) and Tabel 2 (usable responses per stratum).  The tables are bundled
exactly as printed, with Dutch thousands separators and the printed totals, in
``surveyweights/barometer/data/barometer_2025_tabel*.csv``; the loaders parse them with
:class:`~surveyweights.PopulationFrame` (``thousands="."``), which checks every
printed row and column total against the sum of its cells.

Codes
-----
``nace``: ``10-33, 35-39, 41-43, 45-47, 49-53, 55-56, 58-63, 64-66, 68-75,
77-82;95.1, 86-88`` (the report's order).  ``size``: ``micro`` (5-9 employees,
Dutch *micro*), ``small`` (10-49, *klein*), ``medium`` (50-249, *middelgroot*),
``large`` (250 or more, *groot*).
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ..frame import PopulationFrame
from ._data import data_file
from .codes import NACE_CODES, SIZE_CODES

__all__ = [
    "barometer_2025",
    "barometer_2025_frame",
    "barometer_2025_sectors",
    "barometer_2025_sizes",
]


def _read_text_csv(name: str) -> pd.DataFrame:
    with data_file(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def barometer_2025_sectors() -> pd.DataFrame:
    """The 11 NACE sector groups: code, Dutch label (as in Tabel 3), Tabel 13 description, English label."""
    return _read_text_csv("barometer_2025_sectors.csv")


def barometer_2025_sizes() -> pd.DataFrame:
    """The 4 size classes: code, Dutch code and label, English label, employee bounds."""
    t = _read_text_csv("barometer_2025_sizes.csv")
    t["employees_min"] = t["employees_min"].astype("int64")
    t["employees_max"] = pd.array(
        [int(v) if v else None for v in t["employees_max"]], dtype="Int64"
    )
    return t


@cache
def _crosstab_long(name: str, count: str) -> pd.DataFrame:
    raw = _read_text_csv(name).set_index("grootte")
    sizes = barometer_2025_sizes()
    frame = PopulationFrame.from_crosstab(
        raw,
        rows="size",
        columns="nace",
        count=count,
        thousands=".",
        totals="Totaal",
        row_labels=dict(zip(sizes["label_nl"], sizes["size"])),
        column_labels={f"NACE {c}": c for c in NACE_CODES},
    )
    return frame.table


def barometer_2025() -> pd.DataFrame:
    """The 44 strata of the AI-Barometer 2025 (11 sectors x 4 size classes).

    Returns
    -------
    pandas.DataFrame
        One row per stratum, in the report's order (sectors within sizes), with columns
        ``nace``, ``nace_label`` (Dutch, as in Tabel 3), ``size``, ``size_nl``,
        ``size_label`` (Dutch, as in Tabel 1), ``employees_min``, ``employees_max``,
        ``N`` (population, Tabel 1), ``sample`` (sampled enterprises, Tabel 1 in
        italics) and ``responses`` (usable responses n_h, Tabel 2).

    Notes
    -----
    Every printed row, column and grand total of Tabel 1 and Tabel 2 is checked
    against the sum of its cells when the tables are read (37.839 enterprises,
    9.610 sampled, 2.915 usable responses).

    Examples
    --------
    >>> t = barometer_2025()
    >>> len(t), int(t["N"].sum()), int(t["sample"].sum()), int(t["responses"].sum())
    (44, 37839, 9610, 2915)
    """
    pop = _crosstab_long("barometer_2025_tabel1_population.csv", "N")
    smp = _crosstab_long("barometer_2025_tabel1_sample.csv", "sample")
    rsp = _crosstab_long("barometer_2025_tabel2_responses.csv", "responses")
    t = pop.merge(smp, on=["size", "nace"], validate="one_to_one").merge(
        rsp, on=["size", "nace"], validate="one_to_one"
    )
    sectors = barometer_2025_sectors()[["nace", "label_nl"]].rename(columns={"label_nl": "nace_label"})
    sizes = barometer_2025_sizes().rename(columns={"label_nl": "size_label"})
    t = t.merge(sectors, on="nace", validate="many_to_one").merge(
        sizes[["size", "size_nl", "size_label", "employees_min", "employees_max"]],
        on="size",
        validate="many_to_one",
    )
    t["size"] = pd.Categorical(t["size"], categories=SIZE_CODES)
    t["nace"] = pd.Categorical(t["nace"], categories=NACE_CODES)
    t = t.sort_values(["size", "nace"]).reset_index(drop=True)
    t["size"] = t["size"].astype(str)
    t["nace"] = t["nace"].astype(str)
    cols = ["nace", "nace_label", "size", "size_nl", "size_label", "employees_min",
            "employees_max", "N", "sample", "responses"]
    return t[cols]


def barometer_2025_frame() -> PopulationFrame:
    """The AI-Barometer 2025 strata as a :class:`~surveyweights.PopulationFrame`.

    Strata ``("nace", "size")``, population count ``N``, with the ``sample`` and
    ``responses`` counts kept for :func:`~surveyweights.response_accounting`.

    Examples
    --------
    >>> barometer_2025_frame()
    PopulationFrame(44 strata by ['nace', 'size'], N total 37,839)
    """
    return PopulationFrame(
        barometer_2025(), ("nace", "size"), "N", ("sample", "responses")
    )
