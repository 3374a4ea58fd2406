"""The issue-12 estimators on a replicate-weight design against R (svrepdesign).

R (tests/fixtures/estimators/make_estimators.R, section 10):
  rclus1 <- as.svrepdesign(dclus1, type = "JK1")
Each test runs twice: on sw.replicate(dclus1, method="jk1") (the library's
replicate design, issue 11) and on a test-local JK1. The replicate-weight methods
of the library call each estimator's
re-estimate function once per replicate; this file checks those functions with a
small delete-one-PSU jackknife written here from its definition (Wolter 2007,
sec. 4.2), as R's as.svrepdesign(type="JK1") builds it: replicate r gives PSU r
the weight 0 and the others n/(n-1) times theirs; the variance is
(1 - n/N) (n-1)/n sum_r (theta_r - mean theta)^2 (R's default mse = FALSE).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest
from estimators_refs import RTOL, data, ref

import surveyweights as sw
from surveyweights.variance import DomainVariance


@dataclass(frozen=True)
class JK1:
    name: str = "jk1-test"

    def _replicates(self, design, reestimate):
        psu, w = design._psu, design._w
        n = int(psu.max()) + 1
        full = np.asarray(reestimate(w), dtype=float)
        reps = np.stack([np.asarray(reestimate(np.where(psu == r, 0.0, w * n / (n - 1))), dtype=float)
                         for r in range(n)])
        scale = (1 - design._f_h[0]) * (n - 1) / n
        return reps, full, scale

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None, reestimate=None):
        reps, full, scale = self._replicates(design, reestimate)
        v = scale * ((reps - reps.mean(axis=0)) ** 2).sum(axis=0)
        return DomainVariance(variance=v.reshape(full.shape))

    def covariance(self, design, scores, inside, *, reestimate=None):
        reps, full, scale = self._replicates(design, reestimate)
        d = reps.reshape(len(reps), -1) - reps.reshape(len(reps), -1).mean(axis=0)
        return scale * d.T @ d

    def domain_df(self, design, group, n_groups):
        # R's degf(design[domain, ]): rank of the domain's replicate weights - 1,
        # i.e. the PSUs that hold a unit of the domain, minus 1
        group = np.asarray(group)
        return np.array([len(np.unique(design._psu[group == g])) - 1.0 for g in range(int(n_groups))])

    def degf(self, design):
        return int(design._psu.max())


@functools.cache
def _rclus1(library: bool) -> sw.Design:
    d = sw.Design(data("apiclus1"), weights="pw", ids="dnum", fpc="fpc")
    if library:  # the library's own replicate design (issue 11)
        return sw.replicate(d, method="jk1")
    return sw.Design(data("apiclus1"), weights="pw", ids="dnum", fpc="fpc", variance=JK1())


def rclus1() -> sw.Design:
    """The test-local JK1 design (other test files import it)."""
    return _rclus1(False)


@pytest.fixture(params=[False, True], ids=["jk1-from-definition", "sw.replicate-jk1"])
def library(request):
    return request.param


def _close(got, r, quantities):
    for q in quantities:
        np.testing.assert_allclose(got[q], r[q], rtol=RTOL, err_msg=q)


def test_degf_and_mean(library):
    d = _rclus1(library)
    assert d.degf == ref(design="rclus1", estimand="degf")["value"]
    _close(sw.mean(d, "api00").to_frame().iloc[0], ref(design="rclus1", estimand="mean"), ["estimate", "se"])


def test_ratio(library):
    _close(sw.ratio(_rclus1(library), "api.stu", "enroll").to_frame().iloc[0],
           ref(design="rclus1", estimand="ratio"), ["estimate", "se"])


def test_quantile(library):
    got = sw.quantile(_rclus1(library), "api00", [0.25, 0.5, 0.75]).to_frame()
    for row in got.itertuples():
        r = ref(design="rclus1", estimand="quantile", term=f"{row.level:g}")
        _close(row._asdict(), r, ["estimate", "ci_low", "ci_high", "se"])


@pytest.mark.parametrize("label, formula, family", [
    ("gaussian_rep", "api00 ~ ell + meals", "gaussian"),
    ("quasibinomial_rep", "Q('sch.wide') ~ ell + meals", "quasibinomial"),
])
def test_glm(label, formula, family, library):
    fit = sw.glm(_rclus1(library), formula, family=family)
    for row in fit.to_frame().itertuples():
        term = "(Intercept)" if row.term == "Intercept" else row.term
        _close(row._asdict(), ref(design="rclus1", estimand="glm", variable=label, term=term),
               ["estimate", "se", "t", "p_value", "ci_low", "ci_high"])
    assert fit.df == ref(design="rclus1", estimand="glm", variable=label, term="")["df"]


def test_ttest_and_contrast(library):
    t = sw.ttest(_rclus1(library), "api00", by="awards")
    _close(vars(t), ref(design="rclus1", estimand="ttest"), ["estimate", "t", "df", "p_value", "ci_low", "ci_high"])
    c = sw.contrast(sw.total(_rclus1(library), "enroll", by="stype"), {"E": 1, "M": -1}).to_frame().iloc[0]
    _close(c, ref(design="rclus1", estimand="contrast"), ["estimate", "se"])
