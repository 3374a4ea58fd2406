"""Report output: tables of estimates, number formats, figures and their export.

* :mod:`.tables` -- :func:`report_table` and :class:`ReportTable` (CSV, Markdown,
  LaTeX, Excel);
* :mod:`.formatting` -- percentages and counts in a locale (``58,8%`` / ``58.8%``);
* :mod:`.plots` -- bar and stacked-bar figures (matplotlib, imported on first use:
  ``surveyweights.plots`` or ``surveyweights.report.plots``);
* :mod:`.quality` -- reliability rules: flag or suppress estimates by CV, n, CI width
  (``sw.quality.rules("cv")``);
* :mod:`.disclosure` -- disclosure control: threshold and dominance rules, minimal
  secondary suppression, the intruder's audit (``sw.disclosure.rules(...)``).

Labels come from the data or from the caller (``labels=``); nothing here knows a
particular survey.
"""

from __future__ import annotations

from . import disclosure, quality
from .formatting import LOCALES, format_count, format_number, format_percent
from .tables import ReportTable, report_table

__all__ = ["LOCALES", "ReportTable", "disclosure", "format_count", "format_number",
           "format_percent", "quality", "report_table"]
