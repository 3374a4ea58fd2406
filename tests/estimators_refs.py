"""Data, designs and R reference values of tests/fixtures/estimators (issue 12).

R side (tests/fixtures/estimators/make_estimators.R, R 4.2.2, survey 4.1-1):
  dstrat  <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
  dclus1  <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
  dsrs    <- svydesign(id=~1, weights=~pw, data=apisrs, fpc=~fpc)
  dclus2  <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
  dlonely <- svydesign(id=~dnum+snum, strata=~dstratum, fpc=~fpc1+fpc2, data=lonely)
  dboth   <- svydesign(id=~1, strata=~st, weights=~pw, fpc=~fpc, data=rbind(apisrs, apistrat))
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw

HERE = Path(__file__).parent / "fixtures" / "estimators"

RTOL = 1e-8


def _factors(d: pd.DataFrame) -> pd.DataFrame:
    for col in ("stype", "awards", "sch.wide"):
        d[col] = pd.Categorical(d[col], categories=sorted(d[col].dropna().unique()))
    return d


@functools.cache
def data(name: str) -> pd.DataFrame:
    """R's data(api) (apistrat, apiclus1, apiclus2, apisrs) and the script's apiclus2_lonely."""
    return _factors(pd.read_csv(HERE / f"{name}.csv"))


@functools.cache
def design(name: str, lonely_psu: str = "fail") -> sw.Design:
    """The designs of the R script, by their R names."""
    if name == "dstrat":
        return sw.Design(data("apistrat"), weights="pw", strata="stype", fpc="fpc", lonely_psu=lonely_psu)
    if name == "dclus1":
        return sw.Design(data("apiclus1"), weights="pw", ids="dnum", fpc="fpc", lonely_psu=lonely_psu)
    if name == "dsrs":
        return sw.Design(data("apisrs"), weights="pw", fpc="fpc", lonely_psu=lonely_psu)
    if name == "dclus2":
        return sw.Design(data("apiclus2"), ids=["dnum", "snum"], fpc=["fpc1", "fpc2"],
                         lonely_psu=lonely_psu)
    if name == "dlonely":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sw.SurveyWeightsWarning)  # 'average' warns of NaN
            return sw.Design(data("apiclus2_lonely"), ids=["dnum", "snum"], strata="dstratum",
                             fpc=["fpc1", "fpc2"], lonely_psu=lonely_psu)
    raise KeyError(name)


@functools.cache
def results() -> pd.DataFrame:
    return pd.read_csv(HERE / "results_estimators.csv", dtype=str, keep_default_na=False)


def value(x: str) -> float:
    return np.nan if x in ("NA", "NaN") else float(x)


def ref(**key) -> pd.Series:
    """The R values of the rows matching ``key`` (columns of results_estimators.csv), by quantity."""
    r = results()
    for k, v in key.items():
        r = r[r[k] == v]
    if r.empty:
        raise KeyError(f"no R reference row for {key}")
    if r["quantity"].duplicated().any():
        raise KeyError(f"R reference rows for {key} are not unique: {r[['quantity']].values.ravel()}")
    return r.set_index("quantity")["value"].map(value)
