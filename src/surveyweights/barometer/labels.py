"""The printed labels of the AI-Barometer 2025: sector and size names, published headers.

The general report tables and figures print raw values unless given ``labels=``;
the barometer's pipeline passes these.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .published import barometer_2025_published
from .strata import barometer_2025_sectors, barometer_2025_sizes

__all__ = ["published_labels", "row_labels", "ITEM_LABELS_EN", "table_caption", "CAPTIONS"]

#: English labels of the published tables' items (our translation; the report is Dutch).
ITEM_LABELS_EN: dict[str, str] = {
    "adopter": "At least one AI technology",
    "plans": "No use, but plans",
    "no_plans": "No use, no plans",
    "tech_text": "Text analysis",
    "tech_speech": "Speech recognition",
    "tech_nlg": "Natural language generation (incl. programming code)",
    "tech_media": "Image, video and audio generation",
    "tech_vision": "Image recognition",
    "tech_ml": "Machine learning",
    "tech_rpa": "Process automation",
    "tech_robots": "Autonomous machines",
    "individual_shadow": "Individual employees, without the knowledge or explicit permission of "
                         "the IT department or management",
    "individual_approved": "Individual employees, with the knowledge and explicit permission of "
                           "the IT department or management",
    "teams": "One or more teams",
    "it": "IT department",
    "management": "Management",
    "experiment": "AI use is currently limited to exploring and experimenting with possible "
                  "applications.",
    "integrate": "After successful experiments, a limited number of AI applications are being "
                 "integrated or implemented in our business processes.",
    "scale": "After successful implementation, AI applications are being scaled up to a wider "
             "set of solutions in more areas of our enterprise.",
    "reduce": "After unsuccessful experiments or implementation attempts, our enterprise has "
              "reduced its expectations and efforts around AI.",
    "app_marketing": "Marketing or sales",
    "app_customer_service": "Customer service",
    "app_production": "Production processes",
    "app_administration": "Organisation of administrative processes",
    "app_strategy": "Strategic management of the enterprise",
    "app_procurement": "Procurement",
    "app_logistics": "Logistics",
    "app_ict_security": "ICT security",
    "app_hr": "Human resources or recruitment",
    "app_rnd": "Developing new technologies, products and processes",
}

#: The captions of Tabel 3-12, per locale ("Tabel 3: ..." as printed; our English).
CAPTIONS: dict[str, dict[int, str]] = {
    "nl": {
        3: "Adoptiegraad per bedrijfssector",
        4: "Adoptiegraad per bedrijfsgrootte",
        5: "Adoptiegraad type AI-technologieën per bedrijfssector",
        6: "Adoptiegraad type AI-technologieën per bedrijfsgrootte",
        7: "Adoptiemodel per bedrijfssector",
        8: "Adoptiemodel per bedrijfsgrootte",
        9: "Adoptiefase per bedrijfssector",
        10: "Adoptiefase per bedrijfsgrootte",
        11: "Toepassing AI-technologieën per bedrijfssector",
        12: "Toepassing AI-technologieën per bedrijfsgrootte",
    },
    "en": {
        3: "Adoption rate by sector",
        4: "Adoption rate by size class",
        5: "Adoption rate of AI technology types by sector",
        6: "Adoption rate of AI technology types by size class",
        7: "Adoption model by sector",
        8: "Adoption model by size class",
        9: "Adoption phase by sector",
        10: "Adoption phase by size class",
        11: "Application of AI technologies by sector",
        12: "Application of AI technologies by size class",
    },
}
_TABLE_WORD = {"nl": "Tabel", "en": "Table"}


def table_caption(table: int, *, locale: str = "nl") -> str:
    """The caption of Tabel 3-12 in a locale: ``"Tabel 3: Adoptiegraad per bedrijfssector"``.

    Examples
    --------
    >>> table_caption(3, locale="en")
    'Table 3: Adoption rate by sector'
    """
    if locale not in CAPTIONS:
        raise InputError(f"locale={locale!r} is not a known locale; choose one of {list(CAPTIONS)}")
    if table not in CAPTIONS[locale]:
        raise InputError(f"table={table!r} is not a published table; choose one of {list(CAPTIONS[locale])}")
    return f"{_TABLE_WORD[locale]} {table}: {CAPTIONS[locale][table]}"


def published_labels(table: int, *, column: str = "item_label_nl", locale: str | None = None
                     ) -> dict[str, str]:
    """The column headers of a published AI-Barometer 2025 table, by item key.

    Parameters
    ----------
    table : int
        The table number, 3 to 12 (see
        :func:`surveyweights.datasets.barometer_2025_published`).
    column : str, default "item_label_nl", keyword-only
        The label column of the published table.
    locale : {"nl", "en"}, optional, keyword-only
        ``"en"``: our English translation of the headers (:data:`ITEM_LABELS_EN`);
        ``"nl"`` (or None): the report's own Dutch headers.

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
    >>> published_labels(3, locale="en")["plans"]
    'No use, but plans'
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
    if locale not in (None, "nl", "en"):
        raise InputError(f"locale={locale!r} is not a known locale; choose one of ['nl', 'en']")
    rows = pub[pub["table"] == table]
    if locale == "en":
        return {item: ITEM_LABELS_EN[item] for item in rows["item"]}
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
