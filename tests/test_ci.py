"""Tests for surveyweights.ci: confidence intervals for proportions.

Expected values come from R 4.2.2 with survey 4.1-1:
- ``fixtures/ci/reference/results_{A,api}.csv``: the shared oracle
  (``/work/shared/reference/oracle.R``), ``svyciprop`` rows;
- ``fixtures/ci/ci_refs.csv``: ``fixtures/ci/make_ci_refs.R`` (each row has
  the exact R call, the df R used, nrow(design) and R's status).
"""

from __future__ import annotations

import doctest
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special, stats

from surveyweights import ci
from surveyweights.ci import (
    CI_METHODS,
    DegenerateIntervalWarning,
    ci_beta,
    ci_likelihood,
    ci_wilson,
    proportion_ci,
    r_irls_estimate,
    r_irls_start,
)
from surveyweights.errors import (
    ConvergenceError,
    InputError,
    MissingValueError,
    SurveyWeightsWarning,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ci"
R_METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit")
RTOL = 1e-8  # R's logit/likelihood come from an IRLS fit: ~1e-10 relative noise


# --------------------------------------------------------------------------
# fixture loading (no shared state: every call reads the file)
# --------------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _ci_refs() -> pd.DataFrame:
    return _read(FIXTURES / "ci_refs.csv")


def _domain_sizes() -> dict[tuple[str, str, str], int]:
    """nrow(design) of every (dataset, domain_var, domain) in ci_refs.csv."""
    d = _ci_refs()
    d = d[~d.design.str.startswith(("subset", "postStratify"))]
    d = d[d.variable.isin(["is_adopter", "I(ell > 20)"])]
    return {
        (r.dataset, r.domain_var, r.domain): int(r.n_rows) for r in d.itertuples()
    }


def _shared_ciprop_rows() -> list[pd.Series]:
    rows = []
    for name in ("results_A.csv", "results_api.csv"):
        d = _read(FIXTURES / "reference" / name)
        d = d[d.estimand == "ciprop"]
        rows.extend(r for _, r in d.iterrows())
    return rows


def _row_id(r: pd.Series) -> str:
    return f"{r.dataset}-{r.domain_var}-{r.domain}-{r.ci_method}"


# R's likelihood recipe breaks down on these fixture rows: R returns NA
# (tiny design effect at level 0.999) or a limit more than 1% (in the profile
# statistic) away from the profile-likelihood root (coarse grid: 3-5 clusters,
# design effect 9-35).  Our default returns the exact root there.
LIKELIHOOD_BREAKDOWN = frozenset(
    {
        "synth_strata_likelihood_0.999",
        "synth_cluster_3x20_8_likelihood_0.95",
        "synth_cluster_5x40_30_likelihood_0.95",
        "synth_cluster_5x40_30_likelihood_0.8",
        "synth_cluster_3x30_25_likelihood_0.95",
        "synth_cluster_3x30_25_likelihood_0.8",
    }
)


def _r_ok_rows() -> list[pd.Series]:
    """Rows where R returned an interval, except R's non-converged p=0/1 logit."""
    d = _ci_refs()
    d = d[d.r_status.str.startswith("ok")]
    d = d[~(d.id.str.contains("_p0_|_p1_") & (d.method == "logit"))]
    return [r for _, r in d.iterrows()]


def _glm_rows() -> list[pd.Series]:
    """logit/likelihood rows where R returned numbers and 0 < p < 1."""
    return [
        r for r in _r_ok_rows()
        if r.method in ("logit", "likelihood") and not ("_p0_" in r.id or "_p1_" in r.id)
    ]


def _svymean_estimate(row: pd.Series) -> float:
    """p-hat of svymean for the same design/variable/domain/level (the engine's p)."""
    d = _ci_refs()
    same = d[
        (d.method == "mean") & (d.design == row.design) & (d.variable == row.variable)
        & (d.domain_var == row.domain_var) & (d.domain == row.domain)
    ]
    return float(same.estimate.iloc[0])


def _inputs(r: pd.Series, *, irls: bool = True) -> dict:
    kw: dict = {"confidence_level": float(r.level)}
    if r.method == "beta":
        kw["n"] = int(r.n_rows)
    if r.method == "likelihood":
        kw["n"] = int(r.n_nonzero)
        kw["n_rows"] = int(r.n_rows)
        if irls:
            kw["irls_start"] = float(r.irls_start)
    return kw


def _assert_matches_r(low, high, r_low, r_high, rtol=RTOL) -> None:
    np.testing.assert_allclose([float(low), float(high)], [r_low, r_high], rtol=rtol, atol=0)


# --------------------------------------------------------------------------
# against R: shared oracle
# --------------------------------------------------------------------------


@pytest.mark.parametrize("row", _shared_ciprop_rows(), ids=_row_id)
def test_shared_oracle_ciprop_rows(row: pd.Series) -> None:
    """Every svyciprop row of results_A.csv / results_api.csv (df as in the row)."""
    sizes = _domain_sizes()
    if row.domain_var == "overall":
        n = {"A": 2915, "apistrat": 200}[row.dataset]
    else:
        n = sizes[(row.dataset, row.domain_var, row.domain)]
    low, high = proportion_ci(
        row.ci_method, float(row.estimate), float(row.se), float(row.df), n=n
    )
    _assert_matches_r(low, high, float(row.ci_low), float(row.ci_high))


def test_shared_oracle_covers_all_six_methods_and_domain_rows() -> None:
    rows = _shared_ciprop_rows()
    overall = {(r.dataset, r.ci_method) for r in rows if r.domain_var == "overall"}
    assert overall == {(ds, m) for ds in ("A", "apistrat") for m in R_METHODS}
    domains = [r for r in rows if r.domain_var != "overall"]
    assert len(domains) == 30 and {r.ci_method for r in domains} == {"logit", "beta"}


# --------------------------------------------------------------------------
# against R: own fixtures (make_ci_refs.R)
# --------------------------------------------------------------------------


def _r_expected(row: pd.Series) -> tuple[float, float]:
    """R's limits, with our documented truncation for mean and asin."""
    lo, hi = float(row.ci_low), float(row.ci_high)
    if row.method == "mean":  # R does not truncate to [0, 1]
        return max(lo, 0.0), min(hi, 1.0)
    if row.method == "asin":  # R folds sin^2 back when the angle leaves [0, pi/2]
        p, se, df, lv = float(row.estimate), float(row.se), float(row.df), float(row.level)
        theta = math.asin(math.sqrt(p))
        h = stats.t.ppf(1 - (1 - lv) / 2, df) * se / (2 * math.sqrt(p * (1 - p)))
        return (0.0 if theta - h < 0 else lo), (1.0 if theta + h > math.pi / 2 else hi)
    return lo, hi


@pytest.mark.filterwarnings("ignore::surveyweights.ci.DegenerateIntervalWarning")
@pytest.mark.parametrize(
    "row", [r for r in _r_ok_rows() if r.id not in LIKELIHOOD_BREAKDOWN], ids=lambda r: r.id
)
def test_r_fixture_rows(row: pd.Series) -> None:
    """Levels 0.8/0.9/0.95, df=Inf, svyby domains, a subset, a calibrated design,
    small cluster samples."""
    # likelihood with R's IRLS start takes svymean's p-hat, as the engine will
    p = _svymean_estimate(row) if row.method == "likelihood" else float(row.estimate)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ci.LikelihoodProfileWarning)
        low, high = proportion_ci(row.method, p, float(row.se), float(row.df), **_inputs(row))
    _assert_matches_r(low, high, *_r_expected(row))


def test_truncation_rows_exist_in_fixture() -> None:
    """The fixture has R intervals outside [0, 1] (mean) and folded ones (asin)."""
    rows = _r_ok_rows()
    assert any(r.method == "mean" and float(r.ci_low) < 0 for r in rows)
    assert any(r.method == "asin" and _r_expected(r)[0] == 0 < float(r.ci_low) for r in rows)


@pytest.mark.parametrize("row_id", sorted(LIKELIHOOD_BREAKDOWN))
def test_likelihood_rows_where_r_recipe_breaks_down(row_id: str) -> None:
    row = _ci_refs().set_index("id").loc[row_id]
    args = (float(row.estimate), float(row.se), float(row.df))
    with pytest.warns(ci.LikelihoodProfileWarning, match="breaks down"):
        low, high = ci_likelihood(*args, **_inputs(row))
    exact = ci_likelihood(*args, **_inputs(row, irls=False), profile="exact")
    # the replaced limit is the profile root (R's IRLS inputs move it by < 1e-6)
    assert float(low) == pytest.approx(float(exact[0]), rel=1e-6) or float(
        high
    ) == pytest.approx(float(exact[1]), rel=1e-6)
    if row.r_status.startswith("NaN"):  # R: NA; profile="r" falls back too
        with pytest.warns(ci.LikelihoodProfileWarning):
            r_low, r_high = ci_likelihood(*args, **_inputs(row), profile="r")
        assert (float(r_low), float(r_high)) == (float(low), float(high))
        return
    # strict parity with R's (inaccurate) answer is available
    with warnings.catch_warnings():
        warnings.simplefilter("error", ci.LikelihoodProfileWarning)
        r_low, r_high = ci_likelihood(*args, **_inputs(row), profile="r")
    _assert_matches_r(r_low, r_high, float(row.ci_low), float(row.ci_high))
    # and R's answer is far from the profile root on the replaced side
    r_lims = np.array([float(row.ci_low), float(row.ci_high)])
    assert np.max(np.abs(r_lims / np.ravel(exact) - 1)) > 0.02


def test_r_fixture_covers_what_the_brief_asks() -> None:
    d = _ci_refs()
    ok = d[d.r_status.str.startswith("ok")]
    lik = ok[ok.method == "likelihood"]
    assert (lik.domain_var != "overall").sum() >= 20  # svyby domains
    assert lik.design.str.startswith("subset").any()
    assert lik.design.str.startswith("postStratify").any()
    assert set(ok[ok.level.astype(float) == 0.9].method) == set(R_METHODS)
    assert set(ok[ok.df == "Inf"].method) == set(R_METHODS) - {"beta"}
    assert d.id.str.contains("_p0_").sum() >= 6 and d.id.str.contains("_p1_").sum() >= 6


def test_beta_ignores_df_in_r() -> None:
    """R's beta uses degf(design) even when svyciprop gets df=Inf."""
    d = _ci_refs().set_index("id")
    for lv in ("0.95", "0.9"):
        a = d.loc[f"apistrat_overall_beta_{lv}_degf"]
        b = d.loc[f"apistrat_overall_beta_{lv}_Inf"]
        assert (a.ci_low, a.ci_high, a.df) == (b.ci_low, b.ci_high, b.df) and a.df == "197"


@pytest.mark.parametrize("row", _glm_rows(), ids=lambda r: r.id)
def test_glm_methods_from_the_engines_inputs(row: pd.Series) -> None:
    """What the engine has: svymean's p-hat, se, df, n, nrow and R's IRLS start.

    R's printed estimate is its IRLS fit, which can differ from p-hat by 1e-8
    (small p); r_irls_estimate() reproduces it and the limits match R.
    """
    p_hat = _svymean_estimate(row)
    n_rows = int(row.n_rows)
    b1 = float(row.irls_start)
    np.testing.assert_allclose(
        r_irls_estimate(p_hat, b1, n_rows), float(row.estimate), rtol=1e-12
    )
    kw: dict = {"confidence_level": float(row.level), "irls_start": b1, "n_rows": n_rows}
    if row.method == "likelihood":
        kw.update(n=int(row.n_nonzero), profile="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ci.LikelihoodProfileWarning)
        low, high = proportion_ci(row.method, p_hat, float(row.se), float(row.df), **kw)
    _assert_matches_r(low, high, float(row.ci_low), float(row.ci_high))


def test_engine_inputs_cover_loosely_converged_irls() -> None:
    """At least one fixture row where R's estimate is 1e-8 away from p-hat."""
    gaps = [abs(float(r.estimate) / _svymean_estimate(r) - 1) for r in _glm_rows()]
    assert max(gaps) > 5e-9


@pytest.mark.parametrize(
    "row",
    [r for r in _glm_rows() if r.method == "likelihood" and r.dataset != "synthetic"],
    ids=lambda r: r.id,
)
def test_likelihood_without_irls_start_is_within_documented_bound(row: pd.Series) -> None:
    """Without R's IRLS start the limits move by R's IRLS error (docstring: 1e-5
    on the survey fixtures; up to 1e-3 for small p, see the synthetic rows)."""
    low, high = ci_likelihood(
        float(row.estimate), float(row.se), float(row.df), **_inputs(row, irls=False)
    )
    _assert_matches_r(low, high, float(row.ci_low), float(row.ci_high), rtol=1e-5)


def _api_domain_data(row: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(y, weights) of the rows R's svyglm sees for this fixture row."""
    a = pd.read_csv(FIXTURES / "api_ci_data.csv", dtype={"stype": str, "awards": str})
    a = a[a.dataset == row.dataset]
    calibrated = row.design.startswith("postStratify")
    w = a.weight_poststrat.to_numpy(float) if calibrated else a.weight.to_numpy(float)
    ell = a.ell.to_numpy()
    y = (ell > 20) if row.variable == "I(ell > 20)" else (ell <= 20)
    keep = np.ones(len(a), dtype=bool)
    if row.domain_var != "overall":
        keep &= (a[row.domain_var] == row.domain).to_numpy()
    if "api00 > 650" in row.design:
        keep &= (a.api00 > 650).to_numpy()
    if "ell > 20)" in row.design and row.design.startswith("subset"):
        keep &= ell > 20
    if calibrated:  # R keeps every row, out-of-domain ones with weight 0
        return y.astype(float), np.where(keep, w, 0.0)
    return y[keep].astype(float), w[keep]


@pytest.mark.parametrize(
    "row",
    [
        r
        for r in _r_ok_rows()
        if r.method == "likelihood" and r.dataset in ("apistrat", "apiclus1")
    ],
    ids=lambda r: r.id,
)
def test_r_irls_start_matches_r(row: pd.Series) -> None:
    y, w = _api_domain_data(row)
    assert len(y) == int(row.n_rows) and int((w != 0).sum()) == int(row.n_nonzero)
    b1 = r_irls_start(y, w)
    np.testing.assert_allclose(b1, float(row.irls_start), rtol=1e-12)
    # the whole chain from unit-level data reproduces R
    low, high = ci_likelihood(
        float(row.estimate), float(row.se), float(row.df),
        confidence_level=float(row.level), n=int((w != 0).sum()), n_rows=len(y),
        irls_start=b1,
    )
    _assert_matches_r(low, high, float(row.ci_low), float(row.ci_high))


def test_r_irls_start_invariant_to_weight_scale() -> None:
    y = np.array([1, 0, 1, 1, 0, 0, 0, 1.0])
    w = np.array([1.5, 2.0, 3.0, 1.0, 4.0, 2.5, 1.0, 6.0])
    assert r_irls_start(y, w) == pytest.approx(r_irls_start(y, 7 * w), rel=1e-14)


# --------------------------------------------------------------------------
# p = 0 and p = 1
# --------------------------------------------------------------------------


def _edge_rows() -> list[pd.Series]:
    d = _ci_refs()
    d = d[d.id.str.contains("_p0_|_p1_") & (d.se == "0")]
    return [r for _, r in d.iterrows()]


def test_what_r_returns_at_p0_p1() -> None:
    """Documented R behaviour (docs/ci_methods.md), read from the fixture."""
    d = _ci_refs()
    edge = d[d.id.str.contains("_p0_|_p1_") & (d.se == "0")]
    status = edge.groupby("method").r_status.agg(lambda s: set(x.split(" |")[0] for x in s))
    assert status["asin"] == status["xlogit"] == status["beta"] == {"NaN"}
    assert status["mean"] == {"ok"}
    msg = "error: profiling has found a better solution"
    assert all(s.startswith(msg) for s in status["likelihood"])
    logit = edge[edge.method == "logit"]
    # R's IRLS does not converge: ~1e-12 estimates, intervals that miss 0
    assert (logit.irls_iter == "25").all()
    assert (logit[logit.id.str.contains("_p0_")].ci_low.astype(float) > 0).all()


@pytest.mark.parametrize("row", _edge_rows(), ids=lambda r: r.id)
def test_p0_p1_behaviour(row: pd.Series) -> None:
    p = 0.0 if "_p0_" in row.id else 1.0
    n = int(row.n_rows)
    df = float(row.df)
    m = row.method
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        low, high = proportion_ci(m, p, 0.0, df, n=n)
    low, high = float(low), float(high)
    degenerate = [w for w in caught if issubclass(w.category, DegenerateIntervalWarning)]
    a = 0.025
    if m in ("mean", "asin", "xlogit", "logit", "likelihood"):
        assert (low, high) == (p, p)
        assert len(degenerate) == 1
        if m == "mean":  # R gives the same
            assert (float(row.ci_low), float(row.ci_high)) == (p, p)
        return
    assert not degenerate
    if m == "beta":  # Clopper-Pearson at n_eff = n (t_{n-1}/t_df)^2
        n_eff = n * (stats.t.ppf(a, n - 1) / stats.t.ppf(a, df)) ** 2
        bound = 1 - a ** (1 / n_eff)
    else:  # wilson with n_eff = n
        t = stats.t.ppf(1 - a, df)
        bound = t * t / (n + t * t)
    expected = (0.0, bound) if p == 0 else (1 - bound, 1.0)
    np.testing.assert_allclose((low, high), expected, rtol=1e-12, atol=0)


def test_wilson_at_edges_and_censuses() -> None:
    low, high = ci_wilson([0.0, 1.0, 0.3], [0.0, 0.0, 0.0], 50, n=100)
    t = stats.t.ppf(0.975, 50)
    np.testing.assert_allclose(low, [0.0, 100 / (100 + t * t), 0.3], rtol=1e-13)
    np.testing.assert_allclose(high, [t * t / (100 + t * t), 1.0, 0.3], rtol=1e-13)


def test_zero_se_inside_zero_one_gives_point_interval_without_warning() -> None:
    """A domain inside census strata: exact estimate, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for m in CI_METHODS:
            low, high = proportion_ci(m, 0.37, 0.0, 20, n=30)
            assert float(low) == float(high) == 0.37, m


def test_degenerate_warning_is_a_surveyweights_warning_pointing_at_caller() -> None:
    match = r"method 'logit'.*1 estimate.*'beta'"
    with pytest.warns(DegenerateIntervalWarning, match=match) as rec:
        proportion_ci("logit", [0.0, 0.5], [0.0, 0.1], 10)
    assert issubclass(rec[0].category, SurveyWeightsWarning)
    assert rec[0].filename == __file__


# --------------------------------------------------------------------------
# closed forms computed independently in the test
# --------------------------------------------------------------------------


def test_wilson_matches_published_closed_form() -> None:
    p = np.array([0.02, 0.3, 0.5, 0.91])
    se = np.array([0.01, 0.04, 0.05, 0.03])
    df = np.array([12.0, 40.0, np.inf, 7.0])
    lv = np.array([0.95, 0.9, 0.99, 0.8])
    low, high = ci_wilson(p, se, df, confidence_level=lv, n=200)
    for i in range(4):
        n_eff = p[i] * (1 - p[i]) / se[i] ** 2
        t = stats.t.ppf(1 - (1 - lv[i]) / 2, df[i])
        # Wilson (1927): (p + t^2/2n +/- t sqrt(p(1-p)/n + t^2/4n^2)) / (1 + t^2/n)
        centre = (p[i] + t**2 / (2 * n_eff)) / (1 + t**2 / n_eff)
        half = t * math.sqrt(p[i] * (1 - p[i]) / n_eff + t**2 / (4 * n_eff**2)) / (1 + t**2 / n_eff)
        assert low[i] == pytest.approx(centre - half, rel=1e-12)
        assert high[i] == pytest.approx(centre + half, rel=1e-12)


def test_wilson_with_infinite_df_is_the_z_form_and_the_srs_form_at_deff_one() -> None:
    # at se^2 = p(1-p)/n the design interval is the ordinary Wilson interval
    from statsmodels.stats.proportion import proportion_confint

    n, x = 80, 13
    p = x / n
    low, high = ci_wilson(p, math.sqrt(p * (1 - p) / n), np.inf, n=n)
    ref = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose([low, high], ref, rtol=1e-12)


def test_beta_uses_the_df_passed_in() -> None:
    """Satterthwaite df (not R's degf) must reach the effective sample size."""
    p, se, n = 0.12, 0.03, 60
    for df in (5.0, 17.3, 59.0, np.inf):
        a = 0.05
        n_eff = p * (1 - p) / se**2 * (stats.t.ppf(a, n - 1) / stats.t.ppf(a, df)) ** 2
        low, high = ci_beta(p, se, df, confidence_level=0.9, n=n)
        assert low == pytest.approx(stats.beta.ppf(a, n_eff * p, n_eff * (1 - p) + 1), rel=1e-12)
        upper = stats.beta.ppf(1 - a, n_eff * p + 1, n_eff * (1 - p))
        assert high == pytest.approx(upper, rel=1e-12)


@pytest.mark.parametrize("method", ["logit", "xlogit", "mean", "asin", "likelihood", "wilson"])
def test_t_methods_use_the_df_passed_in(method: str) -> None:
    lows = [float(proportion_ci(method, 0.3, 0.05, df, n=40)[0]) for df in (3.0, 30.0, np.inf)]
    assert lows[0] < lows[1] < lows[2]


def test_exact_likelihood_limits_solve_the_profile_equation() -> None:
    p = np.array([0.03, 0.3, 0.62, 0.97])
    se = np.array([0.012, 0.05, 0.08, 0.01])
    df = np.array([30.0, 9.0, np.inf, 200.0])
    n = np.array([400, 60, 35, 1000])
    low, high = ci_likelihood(p, se, df, n=n, profile="exact")
    t = stats.t.ppf(0.975, df)
    target = t**2 * se**2 * (n / (n - 1)) / (2 * p * (1 - p))
    for lim in (low, high):
        kl = special.rel_entr(p, lim) + special.rel_entr(1 - p, 1 - lim)
        np.testing.assert_allclose(kl, target, rtol=1e-9)
    assert np.all(low < p) and np.all(p < high)


def test_spline_and_exact_profiles_agree_to_r_interpolation_error() -> None:
    rows = [
        r for r in _glm_rows() if r.method == "likelihood" and r.id not in LIKELIHOOD_BREAKDOWN
    ]
    for r in rows:
        kw = _inputs(r, irls=False)
        kw.pop("n_rows")
        exact = ci_likelihood(_svymean_estimate(r), float(r.se), float(r.df), profile="exact", **kw)
        # R's interpolation error (documented): 1e-3 on the survey fixtures,
        # 1e-2 on small cluster samples with few positives
        rtol = 1e-2 if r.dataset == "synthetic" else 1e-3
        np.testing.assert_allclose(
            np.ravel(exact), [float(r.ci_low), float(r.ci_high)], rtol=rtol
        )


@pytest.mark.parametrize(
    ("p", "n", "deff", "df", "level"),
    [
        (0.4, 500, 1e-4, 100.0, 0.999),  # R's 9-step grid stops short: R gives NA
        (0.002397, 524, 7.85, 205.7, 0.901),  # n p = 1.3: R's coarse grid is 2.5% off
        (0.2153875, 3, 0.16, 1.68, 0.999),  # R's limit lands on the wrong side of p
    ],
)
def test_likelihood_uses_exact_root_where_r_recipe_breaks_down(p, n, deff, df, level) -> None:
    se = math.sqrt(deff * p * (1 - p) / n)
    with pytest.warns(ci.LikelihoodProfileWarning, match=r"recipe .* breaks down for 1 estimate"):
        spline = ci_likelihood(p, se, df, confidence_level=level, n=n)
    exact = ci_likelihood(p, se, df, confidence_level=level, n=n, profile="exact")
    got = (float(spline[0]), float(spline[1]))
    assert got[0] == float(exact[0]) or got[1] == float(exact[1])
    # both limits (R's kept one, the replaced one) satisfy the profile equation
    # to the 1% of the documented rule: 2 n KL / phi = t^2 lambda
    t = stats.t.ppf(1 - (1 - level) / 2, df)
    cutoff = t * math.sqrt(n * se**2 / (p * (1 - p)))
    for lim in (v for v in got if 0 < v < 1):  # 1.0: the root is 1 - 1e-66
        kl = special.rel_entr(p, lim) + special.rel_entr(1 - p, 1 - lim)
        z = math.sqrt(2 * n * kl / (n / (n - 1)))
        assert abs(z - cutoff) <= 0.01 * cutoff
    assert 0 <= got[0] < p < got[1] <= 1


def test_r_recipe_is_kept_without_warning_on_every_other_r_fixture() -> None:
    rows = [
        r for r in _glm_rows() if r.method == "likelihood" and r.id not in LIKELIHOOD_BREAKDOWN
    ]
    assert len(rows) >= 40
    with warnings.catch_warnings():
        warnings.simplefilter("error", ci.LikelihoodProfileWarning)
        for r in rows:
            ci_likelihood(_svymean_estimate(r), float(r.se), float(r.df), **_inputs(r))


def test_convergence_error_when_root_finder_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("failed to converge after 500 iterations")

    monkeypatch.setattr(ci.optimize, "brentq", broken)
    match = r"profile-likelihood root for p=0.3 did not converge"
    with pytest.raises(ConvergenceError, match=match):
        ci_likelihood(0.3, 0.05, 20, n=50, profile="exact")


def test_fmm_spline_reproduces_cubics_exactly() -> None:
    """FMM end conditions make the spline exact for any cubic."""
    x = np.array([-2.0, -1.3, -0.2, 0.0, 0.9, 1.5, 3.0])
    f = lambda v: 0.3 * v**3 - v**2 + 2 * v - 1  # noqa: E731
    xo = np.linspace(-2, 3, 41)
    np.testing.assert_allclose(ci._fmm_spline(x, f(x), xo), f(xo), rtol=1e-12, atol=1e-12)
    # three points: the parabola through them
    x3 = np.array([0.0, 1.0, 3.0])
    g = lambda v: 2 * v**2 - v + 4  # noqa: E731
    np.testing.assert_allclose(ci._fmm_spline(x3, g(x3), xo / 2 + 1), g(xo / 2 + 1), rtol=1e-12)


# --------------------------------------------------------------------------
# vectorisation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("method", CI_METHODS)
def test_domains_by_levels_in_one_call(method: str) -> None:
    p = np.array([[0.05], [0.48], [0.0], [0.93]])
    se = np.array([[0.02], [0.05], [0.0], [0.02]])
    df = np.array([[12.0], [99.0], [40.0], [np.inf]])
    n = np.array([[30], [100], [45], [300]])
    levels = np.array([[0.8, 0.9, 0.95]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        low, high = proportion_ci(method, p, se, df, confidence_level=levels, n=n)
        assert low.shape == high.shape == (4, 3)
        for i in range(4):
            for j in range(3):
                lo1, hi1 = proportion_ci(
                    method, p[i, 0], se[i, 0], df[i, 0], confidence_level=levels[0, j], n=n[i, 0]
                )
                assert (low[i, j], high[i, j]) == (float(lo1), float(hi1))


def test_scalar_inputs_give_zero_dim_arrays() -> None:
    low, high = proportion_ci("mean", 0.5, 0.1, 10)
    assert isinstance(low, np.ndarray) and low.shape == () and high.shape == ()


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------


def test_unknown_method_lists_valid_names() -> None:
    valid = "'logit', 'likelihood', 'asin', 'beta', 'mean', 'xlogit', 'wilson'"
    with pytest.raises(InputError, match=f"method='Logit' is not .*; use one of {valid}"):
        proportion_ci("Logit", 0.5, 0.1, 10)
    with pytest.raises(InputError, match="method='lik' is not"):
        proportion_ci("lik", 0.5, 0.1, 10, n=20)  # no prefix matching
    with pytest.raises(InputError, match="method=None is not"):
        proportion_ci(None, 0.5, 0.1, 10)  # type: ignore[arg-type]


def test_ci_methods_tuple() -> None:
    assert CI_METHODS == ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson")


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 95, np.inf])
def test_confidence_level_outside_unit_interval(level: float) -> None:
    with pytest.raises(InputError, match=r"confidence_level=.* is outside \(0, 1\)"):
        proportion_ci("logit", 0.5, 0.1, 10, confidence_level=level)


def test_confidence_level_array_with_one_bad_value() -> None:
    with pytest.raises(InputError, match=r"confidence_level=1\.2 is outside"):
        proportion_ci("mean", 0.5, 0.1, 10, confidence_level=[0.9, 1.2])


def test_negative_se() -> None:
    with pytest.raises(InputError, match=r"se=-0\.1 is not a finite standard error >= 0"):
        proportion_ci("asin", [0.5, 0.4], [0.1, -0.1], 10)


@pytest.mark.parametrize("p", [-0.01, 1.5])
def test_p_outside_unit_interval(p: float) -> None:
    with pytest.raises(InputError, match=r"estimate=.* is not a proportion in \[0, 1\]"):
        proportion_ci("beta", p, 0.1, 10, n=20)


@pytest.mark.parametrize("df", [0.0, -3.0])
def test_df_not_positive(df: float) -> None:
    with pytest.raises(InputError, match=r"df=.* is not > 0; pass the design degrees of freedom"):
        proportion_ci("xlogit", 0.5, 0.1, df)


def test_nan_inputs() -> None:
    with pytest.raises(MissingValueError, match=r"se contains NaN \(first at index \(1,\)\)"):
        proportion_ci("mean", [0.5, 0.5], [0.1, np.nan], 10)


@pytest.mark.parametrize("method", ["beta", "likelihood", "wilson"])
def test_n_required(method: str) -> None:
    with pytest.raises(InputError, match=f"method '{method}' needs n"):
        proportion_ci(method, 0.5, 0.1, 10)


@pytest.mark.parametrize("n", [1, 0, 10.5, np.inf])
def test_n_must_be_whole_and_at_least_two(n: float) -> None:
    with pytest.raises(InputError, match=r"n=.* is not a whole number >= 2"):
        proportion_ci("beta", 0.5, 0.1, 10, n=n)


def test_options_only_where_they_apply() -> None:
    with pytest.raises(InputError, match=r"method 'beta' does not take profile; it takes no extra"):
        proportion_ci("beta", 0.5, 0.1, 10, n=20, profile="exact")
    with pytest.raises(InputError, match=r"profile='Exact' is not a valid likelihood profile"):
        proportion_ci("likelihood", 0.5, 0.1, 10, n=20, profile="Exact")
    with pytest.raises(InputError, match=r"irls_start only reproduces R's IRLS path"):
        ci_likelihood(0.5, 0.1, 10, n=20, irls_start=0.1, profile="exact")


def test_logit_irls_options() -> None:
    with pytest.raises(InputError, match="irls_start needs n_rows"):
        proportion_ci("logit", 0.3, 0.05, 20, irls_start=-0.8)
    with pytest.raises(InputError, match="n_rows is used only with irls_start"):
        proportion_ci("logit", 0.3, 0.05, 20, n_rows=50)
    match = r"method 'logit' does not take profile; it takes irls_start"
    with pytest.raises(InputError, match=match):
        proportion_ci("logit", 0.3, 0.05, 20, profile="exact")
    with pytest.raises(InputError, match=r"estimate=0.0 is not strictly inside \(0, 1\)"):
        r_irls_estimate(0.0, -0.5, 10)


def test_shapes_that_do_not_broadcast() -> None:
    with pytest.raises(InputError, match="do not broadcast"):
        proportion_ci("mean", [0.1, 0.2, 0.3], [0.1, 0.1], 10)


def test_irls_start_validation() -> None:
    with pytest.raises(InputError, match="y must be a 0/1 variable"):
        r_irls_start([0, 2, 1], [1, 1, 1])
    with pytest.raises(InputError, match="weights must be >= 0 with at least one > 0"):
        r_irls_start([0, 1], [0, 0])
    with pytest.raises(InputError, match="y has 3 values but weights has 2"):
        r_irls_start([0, 1, 1], [1, 1])


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5]),
    st.floats(min_value=1e-6, max_value=1 - 1e-6),
)
ses = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=0.5))
dfs = st.one_of(st.just(math.inf), st.floats(min_value=1.0, max_value=1e5))
levels = st.floats(min_value=0.5, max_value=0.995)
sizes = st.integers(min_value=2, max_value=20000)


def _quiet(method, p, se, df, level, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        warnings.simplefilter("ignore", ci.LikelihoodProfileWarning)
        low, high = proportion_ci(method, p, se, df, confidence_level=level, n=n)
    return float(low), float(high)


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=80, deadline=None)
@given(p=probabilities, se=ses, df=dfs, level=levels, n=sizes)
def test_ci_contains_estimate_and_lies_in_unit_interval(method, p, se, df, level, n) -> None:
    low, high = _quiet(method, p, se, df, level, n)
    assert 0.0 <= low <= p <= high <= 1.0


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=50, deadline=None)
@given(
    p=probabilities, se=ses, level=st.floats(min_value=0.5, max_value=0.98),
    gap=st.floats(min_value=0.01, max_value=0.5), n=sizes, frac=st.floats(0.01, 1.0),
)
def test_ci_widens_with_confidence_level(method, p, se, level, gap, n, frac) -> None:
    df = max(1.0, frac * (n - 1))  # a design has df <= n - 1
    level2 = min(level + gap, 0.999)
    lo1, hi1 = _quiet(method, p, se, df, level, n)
    lo2, hi2 = _quiet(method, p, se, df, level2, n)
    assert lo2 <= lo1 and hi1 <= hi2


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=50, deadline=None)
@given(p=probabilities, se=ses, df=dfs, level=levels, n=sizes)
def test_ci_is_symmetric_in_p_and_one_minus_p(method, p, se, df, level, n) -> None:
    lo, hi = _quiet(method, p, se, df, level, n)
    lo_r, hi_r = _quiet(method, 1.0 - p, se, df, level, n)
    assume(1.0 - (1.0 - p) == p)  # the reflected input is exact
    np.testing.assert_allclose([lo_r, hi_r], [1.0 - hi, 1.0 - lo], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------
# docstring examples
# --------------------------------------------------------------------------


def test_docstring_examples() -> None:
    result = doctest.testmod(ci, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 9 and result.failed == 0
