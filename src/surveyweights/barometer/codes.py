"""The codes of the AI-Barometer 2025: sectors, size classes, items and their levels.

One home for the codes that the bundled data, the synthetic replica and the
pipeline share (see ``strata``, ``replica``, ``pipeline``).
"""

from __future__ import annotations

#: The 11 NACE sector groups, in the report's order.
NACE_CODES: tuple[str, ...] = (
    "10-33", "35-39", "41-43", "45-47", "49-53", "55-56",
    "58-63", "64-66", "68-75", "77-82;95.1", "86-88",
)
SIZE_CODES: tuple[str, ...] = ("micro", "small", "medium", "large")
#: Adoption status, derived: ``adopter`` iff at least one ``tech_*`` is 1.
ADOPTION_LEVELS: tuple[str, ...] = ("adopter", "plans", "no_plans")
#: Answer to the plans question (non-adopters only).
PLANS_LEVELS: tuple[str, ...] = ("yes", "no")
#: The eight technologies of Tabel 5/6 (mandatory question, never missing).
TECH_ITEMS: tuple[str, ...] = (
    "tech_text", "tech_speech", "tech_nlg", "tech_media",
    "tech_vision", "tech_ml", "tech_rpa", "tech_robots",
)
#: Initiative (Tabel 7/8), adopters only.
INITIATIVE_LEVELS: tuple[str, ...] = (
    "individual_shadow", "individual_approved", "teams", "it", "management",
)
#: Initiatives after which the phase question is asked.
NONINDIVIDUAL: tuple[str, ...] = ("teams", "it", "management")
#: Adoption phase (Tabel 9/10), adopters with a non-individual initiative only.
PHASE_LEVELS: tuple[str, ...] = ("experiment", "integrate", "scale", "reduce")
#: Applications (Tabel 11/12), multi-response 0/1, adopters only.
APP_ITEMS: tuple[str, ...] = (
    "app_marketing", "app_customer_service", "app_production", "app_administration",
    "app_strategy", "app_procurement", "app_logistics", "app_ict_security",
    "app_hr", "app_rnd",
)
#: Evolution of the AI budget (Figuur 11), adopters only.
BUDGET_LEVELS: tuple[str, ...] = ("down", "same", "up_slightly", "up_strongly")
