"""Published tables of the AI-Barometer 2025 (Departement WEWIS, Flanders), as data.

The report "AI-Barometer: Adoptie en gebruik van Artificiële Intelligentie bij
Vlaamse bedrijven. Situatie 2025" (Standaert, Lecocq, Andries & Evens, UGent;
Departement WEWIS, February 2026) prints its weighted results as percentages
per sector and per size class (Tabel 3 to Tabel 12) and quotes headline
percentages in the text and figures.  These loaders return them as tidy
DataFrames so that the headlines can be recombined from the tables with
:func:`surveyweights.recombine.recombine`.
"""

from __future__ import annotations


import pandas as pd

from ._data import data_file

__all__ = ["barometer_2025_published", "barometer_2025_headlines"]

_PUBLISHED_DTYPES = {
    "table": "int64",
    "by": "str",
    "domain": "str",
    "item": "str",
    "variable": "str",
    "item_label_nl": "str",
    "percent_text": "str",
    "percent": "float64",
    "base": "str",
    "base_n": "int64",
    "multi_response": "bool",
    "domain_label_nl": "str",
}

_HEADLINE_DTYPES = {
    "figure": "str",
    "variable": "str",
    "item": "str",
    "percent_text": "str",
    "percent": "float64",
    "base": "str",
    "base_n": "Int64",
    "quote": "str",
    "report_line": "int64",
}


def _read(name: str, dtypes: dict[str, str]) -> pd.DataFrame:
    path = data_file(name)
    with path.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=dtypes, keep_default_na=False, na_values={"base_n": [""]})
    return frame[list(dtypes)]


def barometer_2025_published() -> pd.DataFrame:
    """Tabel 3 to Tabel 12 of the AI-Barometer 2025, one row per printed cell.

    Returns
    -------
    pandas.DataFrame
        450 rows, columns:

        ``table`` (int, 3..12); ``by`` (``"nace"`` for the odd tables, per
        sector; ``"size"`` for the even tables, per size class); ``domain``
        (sector code ``10-33, 35-39, 41-43, 45-47, 49-53, 55-56, 58-63, 64-66,
        68-75, 77-82;95.1, 86-88`` or size code ``micro, small, medium,
        large``); ``item`` (English key, e.g. ``adopter``, ``tech_text``,
        ``management``, ``scale``, ``app_hr``); ``variable`` (``adoption``,
        ``technology``, ``initiative``, ``phase``, ``application``);
        ``item_label_nl`` (the Dutch column header as printed); ``percent_text``
        (the cell as printed, e.g. ``"55,9%"``); ``percent`` (float, 55.9);
        ``base`` and ``base_n`` (the respondents the percentage refers to:
        ``all`` 2915, ``adopters`` 1982, ``adopters_nonindividual`` 1139);
        ``multi_response`` (``False`` for single-choice questions whose row
        sums to 100% up to rounding: adoption, initiative, phase; ``True`` for
        technology and application); ``domain_label_nl`` (the row label as
        printed).

    Notes
    -----
    Percentages are weighted estimates printed to one decimal, so the true
    value lies within +/- 0.05 percentage points.  ``base_n`` is the
    unweighted number of respondents in the base (the report's ``N=``).

    Tables and items:

    ========  ===========  ==========================================================
    Tabel     variable     items
    ========  ===========  ==========================================================
    3, 4      adoption     adopter, plans, no_plans
    5, 6      technology   tech_text, tech_speech, tech_nlg, tech_media, tech_vision,
                           tech_ml, tech_rpa, tech_robots
    7, 8      initiative   individual_shadow, individual_approved, teams, it,
                           management
    9, 10     phase        experiment, integrate, scale, reduce
    11, 12    application  app_marketing, app_customer_service, app_production,
                           app_administration, app_strategy, app_procurement,
                           app_logistics, app_ict_security, app_hr, app_rnd
    ========  ===========  ==========================================================

    References
    ----------
    Standaert, T., Lecocq, C., Andries, P., & Evens, T. (2026). AI-Barometer:
    Adoptie en gebruik van Artificiële Intelligentie bij Vlaamse bedrijven.
    Situatie 2025. Departement WEWIS, Vlaamse overheid.

    Examples
    --------
    >>> from surveyweights.barometer.published import barometer_2025_published
    >>> pub = barometer_2025_published()
    >>> row = pub[(pub["table"] == 3) & (pub["domain"] == "58-63") & (pub["item"] == "adopter")]
    >>> row[["percent_text", "percent", "base_n"]].to_numpy().tolist()
    [['91,1%', 91.1, 2915]]
    >>> pub.groupby("table").size().tolist()
    [33, 12, 88, 32, 55, 20, 44, 16, 110, 40]
    """
    return _read("barometer_2025_published.csv", _PUBLISHED_DTYPES)


def barometer_2025_headlines() -> pd.DataFrame:
    """Headline percentages quoted in the text of the AI-Barometer 2025.

    Returns
    -------
    pandas.DataFrame
        One row per quoted percentage, columns: ``figure`` (``"Figuur 1"`` ...
        when the sentence describes that figure, ``"text"`` otherwise);
        ``variable``; ``item`` (the keys of :func:`barometer_2025_published`,
        plus ``non_adopter``, ``individual`` = individual_shadow +
        individual_approved, ``tech_generative`` = natural language generation
        *or* image/video/audio generation, the ``n_technologies`` counts
        ``one, two, three, four_or_more`` and ``technology_potential`` = use now
        or planned within a year); ``percent_text``; ``percent``; ``base``;
        ``base_n`` (nullable; missing for the 2023 figure, whose N is not
        printed); ``quote`` (the Dutch phrase, verbatim); ``report_line`` (line
        of that phrase in the plain-text rendering of the report).

    Examples
    --------
    >>> from surveyweights.barometer.published import barometer_2025_headlines
    >>> h = barometer_2025_headlines()
    >>> h[(h["variable"] == "adoption") & (h["item"] == "adopter")]["percent"].tolist()
    [58.8]
    """
    return _read("barometer_2025_headlines.csv", _HEADLINE_DTYPES)
