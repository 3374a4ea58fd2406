"""The printed labels of the AI-Barometer 2025: sector and size names, published headers.

The general report tables and figures print raw values unless given ``labels=``;
the barometer's pipeline passes these.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .published import barometer_2025_published
from .strata import barometer_2025_sectors, barometer_2025_sizes

__all__ = ["published_labels", "row_labels"]


def published_labels(table: int, *, column: str = "item_label_nl") -> dict[str, str]:
    """The column headers of a published AI-Barometer 2025 table, by item key.

    Parameters
    ----------
    table : int
        The table number, 3 to 12 (see
        :func:`surveyweights.datasets.barometer_2025_published`).
    column : str, default "item_label_nl", keyword-only
        The label column of the published table.

    Returns
    -------
    dict
        ``{item: label}`` in the printed column order, e.g. for Tabel 3
        ``{"adopter": "Minstens één AI-technologie", ...}``.  Pass it as
        ``column_labels=`` of :func:`report_table` (single-choice tables: the
        keys are the levels; multi-response tables: the keys are the item
        variables, e.g. ``tech_text``).

    Raises
    ------
    InputError
        If ``table`` is not one of the published tables.

    Examples
    --------
    >>> published_labels(3)["plans"]
    'Geen gebruik, wel plannen'
    >>> list(published_labels(5))[:2]
    ['tech_text', 'tech_speech']
    """
    pub = barometer_2025_published()
    tables = sorted(int(t) for t in pub["table"].unique())
    if isinstance(table, bool) or not isinstance(table, (int, np.integer)) or table not in tables:
        raise InputError(
            f"table={table!r} is not a published table; choose one of {tables} "
            f"(Tabel 3 to 12 of the AI-Barometer 2025)"
        )
    if column not in ("item_label_nl",):
        raise InputError(f"column={column!r} is not a label column; use column='item_label_nl'")
    rows = pub[pub["table"] == table]
    return dict(zip(rows["item"], rows[column]))



def row_labels(by: str, *, locale: str = "nl") -> dict[str, str]:
    """The report's labels of the sector or size codes, for ``labels=`` of tables and figures.

    Parameters
    ----------
    by : {"nace", "size"}
        The barometer's domain column.
    locale : {"nl", "en"}, default "nl", keyword-only

    Returns
    -------
    dict
        ``{code: label}``, e.g. ``{"58-63": "NACE 58-63 (informatie en
        communicatie)"}`` or ``{"micro": "Micro (5-9 werknemers)"}``.

    Raises
    ------
    InputError
        For another column or locale.

    Examples
    --------
    >>> row_labels("size")["micro"]
    'Micro (5-9 werknemers)'
    >>> row_labels("nace", locale="en")["58-63"]
    'NACE 58-63 (Information and communication)'
    """
    if locale not in ("nl", "en"):
        raise InputError(f"locale={locale!r} is not a known locale; choose one of ['nl', 'en']")
    label = f"label_{locale}"
    if by == "nace":
        t = barometer_2025_sectors()
        return {c: f"NACE {c} ({lab})" for c, lab in zip(t["nace"], t[label])}
    if by == "size":
        t = barometer_2025_sizes()
        return dict(zip(t["size"], t[label]))
    raise InputError(
        f"by={by!r} is not a domain of the AI-Barometer 2025; choose 'nace' or 'size'"
    )
