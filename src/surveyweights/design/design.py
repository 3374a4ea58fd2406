"""The survey design: data, weights, strata, PSUs and finite population correction.

A :class:`Design` is built once, validated once, and never changes; estimators
take it as their first argument.  It corresponds to R's

``svydesign(ids=~1 or ~psu, strata=~stratum, weights=~w, fpc=~N_h, data=data)``

(single-stage stratified sampling of elements or of clusters) and, with one
``ids`` column and one fpc per stage, to the multistage
``svydesign(ids=~psu+ssu, strata=~stratum, fpc=~N1+N2, data=data)``
(:mod:`surveyweights.design.stages`).  The design's
variance method (:mod:`surveyweights.variance`; Taylor linearization by default)
reads its integer codes, never its DataFrame, so a design of 1e7 rows costs a few
arrays of that length.  Adjusters (post-stratification, calibration, replicate
weights) return a new design, with another variance method where the adjustment
changes the variance.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._strata import as_columns, check_columns, check_frame, factorize_keys, show
from ..engines.base import MemoryEngine, require_memory
from ..engines.resolve import resolve as resolve_engine
from ..errors import DesignError, InputError, LonelyPSUError
from ..frame import PopulationFrame
from ..variance import (CellCalibratedVariance, MultistageLinearization, TaylorLinearization,
                        VarianceMethod)
from ..variance.replicate import ReplicateWeights, UnitWeights
from ..weighting.poststratify import PostStratification, poststratify
from .stages import Stage, id_values, later_stages, split_stage_specs, value_range

__all__ = ["Design", "LONELY_PSU_OPTIONS"]

#: Weights must lie in this range: their squares enter the variance in double precision.
WEIGHT_RANGE: tuple[float, float] = (1e-100, 1e100)
#: Valid values of ``lonely_psu=``, as R's ``options(survey.lonely.psu=)``.
LONELY_PSU_OPTIONS: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")


def _rows(idx: pd.Index, mask: np.ndarray) -> str:
    bad = idx[mask]
    return ", ".join(show(i) for i in bad[:10]) + (", ..." if len(bad) > 10 else "")


def _column_or_series(data: pd.DataFrame, spec: Any, *, what: str) -> pd.Series:
    """Resolve a column name or an aligned Series to a Series aligned with data."""
    if isinstance(spec, str):
        check_columns(data, [spec], what=what, table="the data")
        return data[spec]
    if isinstance(spec, pd.Series):
        if not spec.index.equals(data.index):
            if len(spec) != len(data) or not spec.index.isin(data.index).all():
                raise InputError(
                    f"{what} Series is not aligned with the data's index; pass a column name "
                    f"or a Series with the same index as the data"
                )
            spec = spec.reindex(data.index)
        return spec
    if isinstance(spec, np.ndarray) and spec.ndim == 1 and len(spec) == len(data):
        return pd.Series(spec, index=data.index)
    raise InputError(
        f"{what} must be a column name or a Series aligned with the data, got {type(spec).__name__}"
    )


def _key_sort(v: Any) -> tuple:
    """Sort key of a stratum value fetched from a SQL engine (numbers before text)."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def _id_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else str(getattr(spec, "name", None) or "<ids Series>")


def _refuse_partial_design(ids: tuple, fpcs: list | None, weights: Any) -> None:
    """Raise DesignError for a specification whose weights would be silently wrong."""
    if weights is not None or not ids:
        return
    ids = tuple(_id_name(c) for c in ids)
    if len(ids) == 1 and fpcs is not None:
        raise DesignError(
            f"weights are not given and ids={ids[0]!r} names clusters, so weights N/n from the "
            f"fpc would assume that every unit of each sampled cluster is in the data (one-stage "
            f"cluster sampling); if units were sampled within the clusters those weights are "
            f"wrong (R's apiclus2 with ids='dnum', fpc='fpc1' gives a mean of 703.8 instead of "
            f"670.8). Give weights= explicitly, or describe every stage: "
            f"ids=[{ids[0]!r}, '<unit id>'], fpc=[<fpc of {ids[0]!r}>, '<units per cluster>']"
        )
    if len(ids) > 1 and fpcs is None:
        raise DesignError(
            f"ids={list(ids)} describes {len(ids)} stages but neither weights nor fpc are given, "
            f"so the weights cannot be derived; give fpc=[...] with one population size per "
            f"stage (R's svydesign(id=~{'+'.join(ids)}, fpc=~...)), or weights="
        )


def require_design(obj: Any) -> None:
    """Raise InputError unless ``obj`` is a :class:`Design` (the estimators' first argument)."""
    if not isinstance(obj, Design):
        raise InputError(
            f"the first argument must be a Design, got {type(obj).__name__}; build one with "
            f"sw.Design(data, weights=..., strata=..., fpc=...) or Design.from_population(...)"
        )


@dataclass(frozen=True)
class Design:
    """A stratified (optionally clustered) sampling design, validated on construction.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (sampled unit).  The index must be unique.
    weights : str, pandas.Series or None, keyword-only
        The sampling weights (a column or an aligned Series).  ``None`` takes N_h/n_h
        from ``fpc`` when it holds population sizes, and weight 1 for every unit
        otherwise (an unweighted sample, as R's ``svydesign(ids=~1, data=...)``).
        Weights must be positive, finite numbers in ``WEIGHT_RANGE`` (1e-100 to 1e100).
    strata : str, list of str, pandas.Series or None, keyword-only
        The stratum of each unit; several columns are crossed (R's
        ``strata=~interaction(a, b)``).  ``None``: one stratum.
    fpc : str, pandas.Series, list of those, or None, keyword-only
        Finite population correction, as in R: per unit, either the population size of
        its stratum (number of PSUs in the population; values > 1) or the sampling
        fraction (all values <= 1).  Must be constant within each stratum.  ``None``:
        sampling with replacement (no correction).  For a multistage design, one per
        stage (``fpc=["fpc1", "fpc2"]``): the population size of the stage's units in
        the stage's stratum (stage 2: the schools of the sampled district).
    ids : str, list of str, or None, keyword-only
        The primary sampling unit (cluster) of each unit, for one-stage cluster
        sampling (R's ``ids=~psu``), or one column per stage for multistage sampling
        (R's ``ids=~dnum+snum``: districts, then schools within them).  ``None``: each
        unit is its own PSU.  A stage's unit is identified within its stage s - 1
        unit, and the strata of stages >= 2 are the stage s - 1 units.  A Series
        aligned with the data may stand for a column.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}, keyword-only
        What to do with a stratum that has a single PSU, as R's
        ``options(survey.lonely.psu=)``, but per design instead of a global option.
        ``"fail"`` (default) raises :class:`~surveyweights.errors.LonelyPSUError`;
        ``"remove"`` and ``"certainty"`` give the stratum no variance contribution;
        ``"adjust"`` centres its PSU at the overall mean of PSU totals; ``"average"``
        replaces its contribution by the average contribution of the other strata.
    variance : VarianceMethod, optional, keyword-only
        How estimators' scores become variances (:mod:`surveyweights.variance`).
        Default: :class:`~surveyweights.variance.TaylorLinearization`, R's
        ``svyrecvar`` for this design.  Adjusters set it; users rarely do.
    calibration : CalibrationResult, optional, keyword-only
        Set by :func:`~surveyweights.calibrate` (and the adjusters built on it):
        the diagnostics of the latest calibration, whose margins
        :func:`~surveyweights.trim_weights` keeps.
    history : tuple, keyword-only
        The adjustments that made this design from the one the user built, oldest
        first (calibration, trimming, nonresponse results), so that a design
        tells its own history.
    replicate_weights : list of str, str, DataFrame or ndarray, optional, keyword-only
        Replicate weights from a file (R's ``svrepdesign``): a list of columns of
        ``data``, a regular expression matched (``re.search``) against the column
        names (e.g. ``"PWGTP[0-9]+"``; columns in data order), a DataFrame aligned
        with ``data`` or an (n, R) array.  The design's variance then comes from
        them (:class:`~surveyweights.variance.replicate.ReplicateWeights`) and
        ``weights=`` must be given.  Missing or infinite values are refused.
    replicate_method : {"jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr", "other"}, keyword-only
        How the replicate weights were made; it sets the default ``scale``:
        ``"brr"`` 1/R, ``"fay"`` 1/(R (1 - rho)^2), ``"bootstrap"`` and
        ``"subbootstrap"`` 1/(R - 1), ``"sdr"`` 4/R (the ACS's successive
        differences, R's ``"successive-difference"``).  ``"jk1"`` and ``"other"``
        need ``scale=``, ``"jkn"`` needs ``rscales=``.
    scale : float, optional, keyword-only
        The overall multiplier of the variance; given, it replaces the default.
    rscales : float or sequence of float, optional, keyword-only
        One multiplier per replicate (default 1), e.g. (n_h - 1)/n_h for JKn or
        an fpc folded in.
    mse : bool, default False, keyword-only
        Centre the variance on the full-sample estimate instead of the mean of the
        replicate estimates (R's ``mse=TRUE``; the ACS's convention).
    combined_weights : bool, default True, keyword-only
        Whether the replicate columns are analysis weights (True, as most files
        and R's default) or factors to multiply by ``weights`` (False).
    rho : float, optional, keyword-only
        Fay's coefficient, required with ``replicate_method="fay"``.

    Attributes
    ----------
    weights : pandas.Series
        The resolved weights (float), aligned with ``data``.
    strata : pandas.Series or None
        The stratum label of each unit.
    fpc : pandas.Series or None
        The population size (number of PSUs) of each unit's stratum.
    weighting : PostStratification or None
        The post-stratification behind the weights, for designs made by
        :meth:`from_population`.
    replicate_weights : pandas.DataFrame or None
        The analysis replicate weights, one column per replicate, aligned with
        ``data`` (materialised on access for replicates built by
        :func:`~surveyweights.replicate`); ``None`` without replicates.

    Raises
    ------
    DesignError
        For NaN, negative, zero or infinite weights (the rows are named), an fpc that
        varies within a stratum, is smaller than the stratum's sample size, or is
        missing; an unknown ``lonely_psu`` option.  For a design that does not say
        enough to derive its weights: clusters (``ids``) with an fpc but no weights,
        which would silently assume whole clusters; several stages with fewer (or
        more) fpcs than stages; several stages with neither fpc nor weights.
    LonelyPSUError
        If a stratum has one PSU and ``lonely_psu="fail"`` (at any stage).

    Notes
    -----
    **Multistage designs** (``ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]``) follow R's
    ``svydesign``: without ``weights`` each unit's weight is the product over the
    stages of N/n (population over sampled units in its stratum at that stage); the
    variance is R's ``svyrecvar`` recursion
    (:class:`~surveyweights.variance.MultistageLinearization`) and the design df is
    R's ``degf``: PSUs minus strata at stage 1.  With ``weights`` and no fpc only the
    first stage matters (the with-replacement, "ultimate cluster" variance).
    What is refused, because it would give silently wrong weights: an fpc for the
    first stage only (R's apiclus2 with ``ids="dnum", fpc="fpc1"`` and no weights
    gives every school the weight 757/40 and a mean of 703.8, where the two-stage
    design gives 670.8).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"h": ["a", "a", "b", "b", "b"], "N": [10, 10, 30, 30, 30],
    ...                    "y": [1, 0, 1, 1, 0]})
    >>> d = Design(df, strata="h", fpc="N")
    >>> d.weights.tolist()
    [5.0, 5.0, 10.0, 10.0, 10.0]
    >>> d.degf
    3

    Two stages (R's ``svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)``):

    >>> df = pd.DataFrame({"district": [1, 1, 2, 2, 3], "school": [1, 2, 1, 2, 1],
    ...                    "N1": 10, "N2": [4, 4, 6, 6, 1], "y": [1.0, 2, 3, 4, 5]})
    >>> d2 = Design(df, ids=["district", "school"], fpc=["N1", "N2"])
    >>> [round(w, 4) for w in d2.weights]
    [6.6667, 6.6667, 10.0, 10.0, 3.3333]
    """

    data: pd.DataFrame
    _: KW_ONLY
    weights: str | pd.Series | None = None
    strata: str | Sequence[str] | pd.Series | None = None
    fpc: str | pd.Series | Sequence[str | pd.Series] | None = None
    ids: str | Sequence[str] | None = None
    lonely_psu: str = "fail"
    weighting: PostStratification | None = field(default=None, repr=False)
    variance: VarianceMethod | None = field(default=None, repr=False)
    engine: Any = None
    calibration: Any = field(default=None, repr=False)
    history: tuple = field(default=(), repr=False)
    # the arrays the variance engine reads (derived, never passed in)
    _w: np.ndarray = field(init=False, repr=False, compare=False)
    _h: np.ndarray = field(init=False, repr=False, compare=False)
    _psu: np.ndarray | None = field(init=False, repr=False, compare=False)
    _n_h: np.ndarray = field(init=False, repr=False, compare=False)
    _f_h: np.ndarray = field(init=False, repr=False, compare=False)
    _stratum_labels: np.ndarray = field(init=False, repr=False, compare=False)
    # per-design cache of codes the estimators reuse (factorised by/item columns, w^2)
    _cache: dict = field(init=False, repr=False, compare=False)
    # SQL engines: the strata table and the weight expression (None in memory)
    _sql: dict | None = field(init=False, repr=False, compare=False)
    _stages: tuple[Stage, ...] | None = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        weights: str | pd.Series | None = None,
        strata: str | Sequence[str] | pd.Series | None = None,
        fpc: str | pd.Series | Sequence[str | pd.Series] | None = None,
        ids: str | Sequence[str] | None = None,
        lonely_psu: str = "fail",
        weighting: PostStratification | None = None,
        variance: VarianceMethod | None = None,
        engine: Any = None,
        calibration: Any = None,
        history: tuple = (),
        replicate_weights: Any = None,
        replicate_method: str | None = None,
        scale: float | None = None,
        rscales: Any = None,
        mse: bool = False,
        combined_weights: bool = True,
        rho: float | None = None,
    ) -> None:
        # Written out rather than generated: the replicate-weight arguments are not
        # fields.  They are read once into the design's variance method
        # (ReplicateWeights), which is a field, so ``dataclasses.replace`` (which
        # passes every field) carries the replicates without re-reading them, and
        # the ``replicate_weights`` property is free to return the weights as a
        # DataFrame.  tests/test_replicate.py checks that every init field is a
        # parameter here with the field's default.
        for name, value in (("data", data), ("weights", weights), ("strata", strata),
                            ("fpc", fpc), ("ids", ids), ("lonely_psu", lonely_psu),
                            ("weighting", weighting), ("variance", variance),
                            ("engine", engine), ("calibration", calibration),
                            ("history", history)):
            object.__setattr__(self, name, value)
        self._validate(replicate_weights, replicate_method, scale, rscales, mse,
                       combined_weights, rho)

    def _validate(self, replicate_weights, replicate_method, scale, rscales, mse,
                  combined_weights, rho) -> None:
        """Check the specification and derive the integer codes (once per design)."""
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_sql", None)
        engine = resolve_engine(self.data, self.engine)
        object.__setattr__(self, "engine", engine)
        if not isinstance(engine, MemoryEngine):
            object.__setattr__(self, "_stages", None)
            # the same refusal as in memory: weights N/n from a cluster fpc may be wrong
            _refuse_partial_design((self.ids,) if isinstance(self.ids, str) else (),
                                   None if self.fpc is None else [self.fpc], self.weights)
            if self.variance is None:
                object.__setattr__(self, "variance", TaylorLinearization())
            elif not isinstance(self.variance, VarianceMethod):
                raise InputError(
                    f"variance={type(self.variance).__name__} is not a variance method; leave it "
                    f"out for Taylor linearization (see surveyweights.variance)"
                )
            if self.lonely_psu not in LONELY_PSU_OPTIONS:
                raise DesignError(
                    f"lonely_psu={self.lonely_psu!r} is not a valid option; choose one of "
                    f"{list(LONELY_PSU_OPTIONS)}"
                )
            self._init_sql(engine)
            if replicate_weights is not None:
                if self.weights is None:
                    raise DesignError(
                        "a replicate-weight design needs the full-sample weights: pass weights= "
                        "(the analysis weight column of the file, e.g. weights='PWGTP')"
                    )
                object.__setattr__(self, "variance", _sql_file_replicates(
                    engine, self._sql["weight"], replicate_weights, replicate_method, scale,
                    rscales, mse, combined_weights, rho))
            elif any(v is not None for v in (replicate_method, scale, rscales, rho)) or mse:
                raise _no_replicate_columns()
            return
        data = check_frame(self.data, what="data")
        weights_given = self.weights is not None
        if not data.index.is_unique:
            raise InputError("the data's index is not unique; call data.reset_index(drop=True) first")
        if len(data) == 0:
            raise DesignError("the data has no rows; a design needs at least one sampled unit")
        ids_cols, fpc_list = split_stage_specs(self.ids, self.fpc)
        multistage = len(ids_cols) > 1
        ids1 = ids_cols[0] if ids_cols else None
        fpc1 = None if fpc_list is None else fpc_list[0]
        _refuse_partial_design(ids_cols, fpc_list, self.weights)
        if self.variance is None:
            default = MultistageLinearization() if multistage and fpc_list else TaylorLinearization()
            object.__setattr__(self, "variance", default)
        elif not isinstance(self.variance, VarianceMethod):
            raise InputError(
                f"variance={type(self.variance).__name__} is not a variance method; leave it "
                f"out for Taylor linearization (see surveyweights.variance)"
            )
        if self.lonely_psu not in LONELY_PSU_OPTIONS:
            raise DesignError(
                f"lonely_psu={self.lonely_psu!r} is not a valid option; choose one of "
                f"{list(LONELY_PSU_OPTIONS)}"
            )
        n = len(data)

        # strata --------------------------------------------------------------
        if self.strata is None:
            h = np.zeros(n, dtype=np.intp)
            labels = np.array(["(all)"], dtype=object)
            strata_series = None
        else:
            if isinstance(self.strata, pd.Series) or isinstance(self.strata, np.ndarray):
                s = _column_or_series(data, self.strata, what="strata")
                frame = pd.DataFrame({"stratum": s})
                cols: tuple[str, ...] = ("stratum",)
            else:
                cols = as_columns(self.strata, what="strata")
                check_columns(data, cols, what="strata", table="the data")
                frame = data[list(cols)]
            for c in cols:
                s = frame[c]
                if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu":
                    continue  # integers and booleans cannot be missing
                miss = (s.cat.codes.to_numpy() < 0 if isinstance(s.dtype, pd.CategoricalDtype)
                        else s.isna().to_numpy())
                if miss.any():
                    raise DesignError(
                        f"stratum {'column ' + repr(c) if c != 'stratum' else 'Series'} is missing "
                        f"in {int(miss.sum())} row(s) (index {_rows(data.index, miss)}); every "
                        f"unit needs a stratum"
                    )
            h, keys = factorize_keys(frame, cols)
            labels = np.array([" | ".join(str(v) for v in row) for row in keys.itertuples(index=False)],
                              dtype=object)
            # a categorical of the labels: codes h and H strings, not n strings
            strata_series = pd.Series(pd.Categorical.from_codes(h, categories=pd.Index(labels, dtype=object),
                                                                validate=False),
                                      index=data.index, name="stratum", copy=False)
        H = len(labels)

        # PSUs ----------------------------------------------------------------
        if ids1 is None:
            psu = None
            n_h = np.bincount(h, minlength=H)
        else:
            ids_values, ids_name = id_values(data, ids1, 1)
            miss = ids_values.isna().to_numpy()
            if miss.any():
                raise DesignError(
                    f"PSU column {ids_name!r} is missing in {int(miss.sum())} row(s) (index "
                    f"{_rows(data.index, miss)}); every unit needs a PSU"
                )
            # a PSU is identified within its stratum (R's nest=TRUE is implied only if
            # codes repeat across strata; we require them not to)
            psu_codes, _ = pd.factorize(ids_values, sort=False)
            first_stratum = pd.Series(h).groupby(psu_codes).nunique()
            if (first_stratum > 1).any():
                bad = ids_values.iloc[np.flatnonzero(psu_codes == first_stratum.index[first_stratum > 1][0])[0]]
                raise DesignError(
                    f"PSU {show(bad)} of column {ids_name!r} appears in more than one stratum; "
                    f"PSU codes must be unique across strata: combine stratum and PSU into one code"
                )
            psu = psu_codes.astype(np.intp)
            psu_stratum = np.zeros(psu.max() + 1, dtype=np.intp)
            psu_stratum[psu] = h
            n_h = np.bincount(psu_stratum, minlength=H)

        # fpc -----------------------------------------------------------------
        if fpc1 is None:
            f_h = np.zeros(H)
            fpc_series = None
        else:
            fv = pd.to_numeric(_column_or_series(data, fpc1, what="fpc"), errors="coerce")
            fv = fv.to_numpy(dtype=float)
            # (NaN makes min() NaN, so the comparison is False: the detailed check runs)
            ok = bool(fv.min() > 0 and np.isfinite(fv.max()))
            bad = None if ok else ~np.isfinite(fv) | (fv <= 0)
            if bad is not None and bad.any():
                raise DesignError(
                    f"fpc is missing, non-numeric or not positive in {int(bad.sum())} row(s) "
                    f"(index {_rows(data.index, bad)}); give the stratum population size (or "
                    f"sampling fraction) for every unit"
                )
            # constant within each stratum: every value equals one value of its stratum
            first = np.empty(H)
            first[h] = fv   # one value of each stratum (the last write wins)
            spread = np.take(first, h)  # that value for every unit: fpc per unit if constant
            differs = fv != spread
            lo = hi = first
            if differs.any():
                lo, hi = value_range(h, fv, H)
            varying = np.flatnonzero(lo != hi)
            if len(varying):
                k = varying[0]
                raise DesignError(
                    f"fpc varies within stratum {labels[k]!r} (from {show(lo[k])} to "
                    f"{show(hi[k])}); the population size must be the same for every unit of a stratum"
                )
            if np.all(lo <= 1):
                f_h = lo.copy()  # sampling fractions
                N_h = n_h / f_h
            else:
                N_h = lo
                small = np.flatnonzero(N_h < n_h)
                if len(small):
                    k = small[0]
                    raise DesignError(
                        f"fpc of stratum {labels[k]!r} is {show(N_h[k])}, smaller than its "
                        f"{n_h[k]} sampled {'PSUs' if ids1 is not None else 'units'}; fpc must be the "
                        f"population size N_h (or, if all values are <= 1, the sampling fraction)"
                    )
                f_h = n_h / N_h
            # N_h per unit: the values checked above when fpc holds population sizes
            per_unit = spread if N_h is lo else np.take(N_h, h)
            fpc_series = pd.Series(per_unit, index=data.index, name="fpc", copy=False)

        # lonely PSUs ---------------------------------------------------------
        # a single PSU in a stratum taken completely (f_h = 1) has no sampling variance
        lonely = np.flatnonzero((n_h == 1) & (np.asarray(f_h) < 1 - 1e-7))
        if len(lonely) and self.lonely_psu == "fail":
            names = ", ".join(repr(labels[k]) for k in lonely[:10])
            raise LonelyPSUError(
                f"{len(lonely)} stratum/strata have a single sampled {'PSU' if ids1 is not None else 'unit'}"
                f"{' at stage 1' if multistage else ''} ({names}), so their variance cannot be estimated; choose "
                f"lonely_psu='remove', 'certainty', 'adjust' or 'average' (as R's "
                f"options(survey.lonely.psu=)), or collapse the stratum with a neighbour"
            )

        # later stages ----------------------------------------------------------
        stages = None
        if multistage and fpc_list is not None:
            first = Stage(1, h, psu, n_h.astype(np.int64), np.asarray(f_h, dtype=float),
                          np.zeros(H, dtype=np.intp), np.ones(H), labels)
            stages, sizes = later_stages(data, ids_cols, fpc_list, first, self.lonely_psu)
            fpc_series = (fpc_series, *sizes)

        # weights -------------------------------------------------------------
        if self.weights is None:
            if stages is not None:
                # product over the stages of N/n (R's weights(fpc)): 1 / inclusion probability
                w = np.ones(n)
                for st in stages:
                    w = w / st.fraction[st.stratum]
            elif fpc_series is not None:
                w = np.take((N_h / n_h).astype(float), h)
            else:
                w = np.ones(n)
            weights_series = pd.Series(w, index=data.index, name="weight", copy=False)
        else:
            ws = _column_or_series(data, self.weights, what="weights")
            if pd.api.types.is_bool_dtype(ws.dtype):
                raise DesignError(
                    "weights are True/False values, not numbers; give each unit its "
                    "sampling weight (a positive number)"
                )
            w = pd.to_numeric(ws, errors="coerce").to_numpy(dtype=float)
            # one pass of reductions when every weight is fine (NaN fails both comparisons)
            fine = bool(w.min() >= WEIGHT_RANGE[0] and w.max() <= WEIGHT_RANGE[1])
            for rule, bad in () if fine else (
                ("missing or not numeric", np.isnan(w)),
                ("infinite", np.isinf(w)),
                ("negative", w < 0),
                ("zero", w == 0),
                (f"outside [{WEIGHT_RANGE[0]:g}, {WEIGHT_RANGE[1]:g}]",
                 (w > 0) & ((w < WEIGHT_RANGE[0]) | (w > WEIGHT_RANGE[1]))),
            ):
                if bad.any():
                    fix = {
                        "zero": "a zero weight marks a unit outside the population: remove it "
                                "explicitly, or keep it and analyse a subpopulation with subset=",
                    }.get(rule, "every sampled unit needs a positive finite weight")
                    if rule.startswith("outside"):
                        fix = ("their squares would overflow or underflow in the variance: "
                               "rescale the weights (means and proportions do not depend on "
                               "their scale)")
                    raise DesignError(
                        f"weights are {rule} in {int(bad.sum())} row(s) (index "
                        f"{_rows(data.index, bad)}); {fix}"
                    )
            weights_series = pd.Series(w, index=data.index, copy=False,
                                       name=self.weights if isinstance(self.weights, str) else (ws.name or "weight"))

        object.__setattr__(self, "weights", weights_series)
        object.__setattr__(self, "strata", strata_series)
        object.__setattr__(self, "fpc", fpc_series)
        object.__setattr__(self, "_w", np.ascontiguousarray(w, dtype=float))
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_psu", psu)
        object.__setattr__(self, "_n_h", n_h.astype(np.int64))
        object.__setattr__(self, "_f_h", np.asarray(f_h, dtype=float))
        object.__setattr__(self, "_stratum_labels", labels)
        object.__setattr__(self, "_stages", stages)

        if replicate_weights is not None:
            if not weights_given:
                raise DesignError(
                    "a replicate-weight design needs the full-sample weights: pass weights= "
                    "(the analysis weight column of the file, e.g. weights='PWGTP')"
                )
            object.__setattr__(self, "variance", _file_replicates(
                data, w, replicate_weights, replicate_method, scale, rscales, mse,
                combined_weights, rho))
        elif any(v is not None for v in (replicate_method, scale, rscales, rho)) or mse:
            raise _no_replicate_columns()

    def _init_sql(self, src) -> None:
        """Validate and describe a design on a SQL engine with per-stratum queries."""
        from ..engines.sql import psu_query, strata_query, weight_expr

        for what, spec in (("weights", self.weights), ("fpc", self.fpc), ("ids", self.ids)):
            if spec is not None and not isinstance(spec, str):
                raise InputError(
                    f"{what} must be a column name on the {src.name} engine, got "
                    f"{type(spec).__name__}; add the values as a column of the source"
                )
        cols = () if self.strata is None else as_columns(self.strata, what="strata")
        needed = [("strata", c) for c in cols] + [
            (what, spec) for what, spec in (("weights", self.weights), ("fpc", self.fpc),
                                            ("ids", self.ids)) if spec is not None]
        for what, c in needed:
            src.check_columns([c], what=what)
        res = src.run(strata_query(src, strata=cols, weights=self.weights, fpc=self.fpc, ids=self.ids))
        keys = list(zip(*(res[f"__s{i}"] for i in range(len(cols))))) if cols else [()]
        if not len(res["n"]) or not np.nansum(np.asarray(res["n"], dtype=float)):
            raise DesignError("the data has no rows; a design needs at least one sampled unit")
        for i, c in enumerate(cols):
            nulls = sum(n for k, n in zip(keys, res["n"]) if k[i] is None)
            if nulls:
                raise DesignError(
                    f"stratum column {c!r} is missing in {nulls} row(s); every unit needs a "
                    f"stratum: fill them or filter them out of the source"
                )
        order = sorted(range(len(keys)), key=lambda i: tuple(_key_sort(v) for v in keys[i]))
        pick = lambda name: np.array([res[name][i] for i in order])  # noqa: E731
        keys = [keys[i] for i in order]
        labels = np.array([" | ".join(str(v) for v in k) for k in keys] if cols else ["(all)"],
                          dtype=object)
        n_units = pick("n").astype(np.int64)
        if self.weights is not None:
            for rule, col in (("missing or not numeric", "w_missing"), ("infinite", "w_inf"),
                              ("negative", "w_negative"), ("zero", "w_zero"),
                              (f"outside [{WEIGHT_RANGE[0]:g}, {WEIGHT_RANGE[1]:g}]", "w_range")):
                bad = int(pick(col).sum())
                if bad:
                    fix = ("a zero weight marks a unit outside the population: remove it "
                           "explicitly, or keep it and analyse a subpopulation with subset="
                           if rule == "zero" else "every sampled unit needs a positive finite weight")
                    raise DesignError(f"weights are {rule} in {bad} row(s) of column "
                                      f"{self.weights!r}; {fix}")
        if self.ids is not None:
            miss = int(pick("p_missing").sum())
            if miss:
                raise DesignError(f"PSU column {self.ids!r} is missing in {miss} row(s); every "
                                  f"unit needs a PSU")
            if cols:
                bad = src.run(psu_query(src, strata=cols, ids=self.ids))["p"]
                if len(bad):
                    raise DesignError(
                        f"PSU {show(bad[0])} of column {self.ids!r} appears in more than one "
                        f"stratum; PSU codes must be unique across strata: combine stratum and "
                        f"PSU into one code"
                    )
            n_h = pick("n_psu").astype(np.int64)
        else:
            n_h = n_units
        H = len(keys)
        fractions = False
        if self.fpc is None:
            f_h = np.zeros(H)
        else:
            bad = int(pick("f_bad").sum())
            if bad:
                raise DesignError(
                    f"fpc is missing, non-numeric or not positive in {bad} row(s) of column "
                    f"{self.fpc!r}; give the stratum population size (or sampling fraction) "
                    f"for every unit"
                )
            lo, hi = pick("f_min").astype(float), pick("f_max").astype(float)
            varying = np.flatnonzero(lo != hi)
            if len(varying):
                k = varying[0]
                raise DesignError(
                    f"fpc varies within stratum {labels[k]!r} (from {show(lo[k])} to "
                    f"{show(hi[k])}); the population size must be the same for every unit of a stratum"
                )
            if np.all(lo <= 1):
                fractions = True
                f_h = lo.copy()
            else:
                small = np.flatnonzero(lo < n_h)
                if len(small):
                    k = small[0]
                    raise DesignError(
                        f"fpc of stratum {labels[k]!r} is {show(lo[k])}, smaller than its "
                        f"{n_h[k]} sampled {'PSUs' if self.ids else 'units'}; fpc must be the "
                        f"population size N_h (or, if all values are <= 1, the sampling fraction)"
                    )
                f_h = n_h / lo
        if self.weights is None and self.fpc is not None:
            scale = 1.0 / f_h  # N_h / n_h (or 1 / f_h): constant within each stratum
            sw_h = n_units * scale
        else:
            scale = np.ones(H)
            sw_h = pick("sw").astype(float)
        lonely = np.flatnonzero((n_h == 1) & (f_h < 1 - 1e-7))
        if len(lonely) and self.lonely_psu == "fail":
            names = ", ".join(repr(labels[k]) for k in lonely[:10])
            raise LonelyPSUError(
                f"{len(lonely)} stratum/strata have a single sampled {'PSU' if self.ids else 'unit'} "
                f"({names}), so their variance cannot be estimated; choose "
                f"lonely_psu='remove', 'certainty', 'adjust' or 'average' (as R's "
                f"options(survey.lonely.psu=)), or collapse the stratum with a neighbour"
            )
        lookup = (pd.Index([k[0] for k in keys], dtype=object) if len(cols) == 1 else
                  pd.MultiIndex.from_tuples(keys) if cols else None)
        object.__setattr__(self, "_sql", {
            "strata": cols, "keys": keys, "lookup": lookup,
            "weight": weight_expr(src, weights=self.weights), "n": int(n_units.sum()),
            "sw_h": sw_h, "scale": None if self.weights is not None else scale,
        })
        object.__setattr__(self, "_w", None)
        object.__setattr__(self, "_h", None)
        object.__setattr__(self, "_psu", None)
        object.__setattr__(self, "_n_h", n_h)
        object.__setattr__(self, "_f_h", np.asarray(f_h, dtype=float))
        object.__setattr__(self, "_stratum_labels", labels)

    def collect(self) -> Design:
        """The same design in memory: the source's rows loaded into a pandas DataFrame.

        For computations that need unit-level data (a variance method without a
        cell-level entry point, the likelihood interval).  On an in-memory design it
        returns the design itself.
        """
        if self._sql is None:
            return self
        data = self.engine.collect()
        v = self.variance
        if isinstance(v, ReplicateWeights):
            d = Design(data, weights=self.weights, strata=self.strata, fpc=self.fpc, ids=self.ids,
                       lonely_psu=self.lonely_psu)
            return replace(d, variance=_collect_replicates(v, d))
        calibrated = isinstance(self.variance, CellCalibratedVariance)
        out = Design(data, weights=self.weights, strata=self.strata, fpc=self.fpc, ids=self.ids,
                     lonely_psu=self.lonely_psu,
                     variance=self.variance.base if calibrated else self.variance)
        # calibrated on the engine: the same calibrations replayed in memory
        return self.variance.replay(out) if calibrated else out

    # ----------------------------------------------------------------- builders
    @classmethod
    def from_population(
        cls,
        data: pd.DataFrame,
        population: PopulationFrame | pd.DataFrame,
        *,
        strata: str | Sequence[str],
        count: str = "N",
        collapse: Mapping[Hashable, Hashable] | None = None,
        lonely_psu: str = "fail",
    ) -> Design:
        """Post-stratify ``data`` against ``population`` and build the design.

        The weights are N_h/n_h (:func:`~surveyweights.poststratify`), the strata are
        the (possibly collapsed) weighting strata and the fpc is N_h, i.e. R's
        ``svydesign(ids=~1, strata=~stratum, fpc=~N_h, data=...)``.

        Examples
        --------
        >>> import pandas as pd
        >>> data = pd.DataFrame({"size": ["micro"] * 3 + ["large"] * 2, "y": [1, 0, 0, 1, 1]})
        >>> pop = pd.DataFrame({"size": ["micro", "large"], "N": [300, 20]})
        >>> d = Design.from_population(data, pop, strata="size")
        >>> d.weights.tolist(), d.degf
        ([100.0, 100.0, 100.0, 10.0, 10.0], 3)
        """
        ps = poststratify(data, population, strata=strata, count=count, collapse=collapse)
        return cls(data, weights=ps.weights, strata=ps.stratum, fpc=ps.fpc,
                   lonely_psu=lonely_psu, weighting=ps)

    def with_lonely_psu(self, option: str) -> Design:
        """The same design with another lonely-PSU option."""
        return replace(self, weights=self.weights, strata=self.strata, fpc=self.fpc,
                       lonely_psu=option)

    def assign(self, **columns: Any) -> Design:
        """A new design whose data have columns added or replaced, like ``DataFrame.assign``.

        Parameters
        ----------
        **columns : str, callable, array-like or scalar
            ``name=value``.  A string is an expression of the library's safe
            expression language (:mod:`surveyweights.expressions`: comparisons,
            arithmetic, ``and``/``or``/``not``, ``in [...]``, ``isna()``), never
            run as Python; a callable is called with the data (a copy) and
            returns a Series aligned with it or one value per row; anything else
            is used as it is (one value per row, or a scalar).  Columns are added
            in order, so a later one may use an earlier one.

        Returns
        -------
        Design
            The same weights, strata, PSUs, fpc, variance method and history, with
            the new data; this design and its data are unchanged.

        Raises
        ------
        DesignError
            A name that is a PSU (``ids``) column or the weight column: replacing
            it would not change the design, so it is refused.
        ExpressionError
            An expression outside the safe grammar, or naming a missing column.
        InputError
            A value of the wrong length or a Series with another index.

        Examples
        --------
        >>> import pandas as pd, surveyweights as sw
        >>> d = sw.Design(pd.DataFrame({"api00": [650, 720, 800], "w": [2.0, 1.0, 1.0]}), weights="w")
        >>> d2 = d.assign(high="api00 > 700", gap=lambda t: t["api00"] - 700)
        >>> d2.data["high"].tolist(), d2.data["gap"].tolist()
        ([False, True, True], [-50, 20, 100])
        >>> "high" in d.data
        False
        """
        from ..expressions import parse

        require_memory(self, "design.assign (new columns of the unit rows)",
                       alternatives="the column added to the source (a DuckDB view, a Spark "
                                    "DataFrame's withColumn) and the design built again, or ")
        protected = {c for c in (self.ids if isinstance(self.ids, (list, tuple)) else [self.ids])
                     if isinstance(c, str)}
        if isinstance(self.weights, pd.Series) and isinstance(self.weights.name, str) \
                and self.weights.name in self.data.columns:
            protected.add(self.weights.name)
        data = self.data.copy(deep=False)
        for name, value in columns.items():
            if name in protected:
                raise DesignError(
                    f"assign({name}=...) would replace a column that defines the design (PSUs or "
                    f"weights), which the design would not follow; choose another name, or "
                    f"build a new sw.Design from the changed data"
                )
            if isinstance(value, str):
                value = parse(value, what=f"assign({name}=...)").evaluate(data)
            elif callable(value):
                value = value(data.copy(deep=False))
            if isinstance(value, pd.Series):
                if not value.index.equals(data.index):
                    raise InputError(
                        f"assign({name}=...) gave a Series whose index differs from the data's; "
                        f"return a Series aligned with the data (e.g. computed from its columns)"
                    )
            elif np.ndim(value) > 0 and len(value) != len(data):
                raise InputError(
                    f"assign({name}=...) gave {len(value)} values for {len(data)} rows; give one "
                    f"value per row, a scalar, or a Series aligned with the data"
                )
            data = data.assign(**{name: value})
        return replace(self, data=data, weights=self.weights, strata=self.strata, fpc=self.fpc)

    # ----------------------------------------------------------------- accessors
    @property
    def _w2(self) -> np.ndarray:
        """The squared weights (computed once per design)."""
        w2 = self._cache.get("w2")
        if w2 is None:
            w2 = self._w * self._w
            self._cache["w2"] = w2
        return w2

    @property
    def n(self) -> int:
        """Number of sampled units (rows)."""
        return len(self.data) if self._sql is None else self._sql["n"]

    @property
    def n_strata(self) -> int:
        """Number of strata."""
        return len(self._stratum_labels)

    @property
    def n_psu(self) -> int:
        """Number of sampled PSUs (units, for element sampling)."""
        return int(self._n_h.sum())

    @property
    def degf(self) -> int:
        """Design degrees of freedom, as R's ``degf(design)``: PSUs minus strata for
        Taylor linearization (the variance method decides)."""
        return self.variance.degf(self)

    @property
    def population_size(self) -> float:
        """The sum of the weights (the estimated population size N)."""
        if self._sql is not None:
            return float(self._sql["sw_h"].sum())
        return float(self._w.sum())

    def strata_table(self) -> pd.DataFrame:
        """One row per stratum: label, sampled PSUs n_h, sampling fraction f_h, N_h, weight sum."""
        wsum = (self._sql["sw_h"] if self._sql is not None
                else np.bincount(self._h, weights=self._w, minlength=self.n_strata))
        with np.errstate(divide="ignore"):
            N_h = np.where(self._f_h > 0, self._n_h / np.where(self._f_h > 0, self._f_h, 1), np.nan)
        return pd.DataFrame({"stratum": self._stratum_labels, "n": self._n_h,
                             "sampling_fraction": self._f_h, "N": N_h, "weight_sum": wsum})

    @property
    def replicate_weights(self) -> pd.DataFrame | None:
        """The analysis replicate weights: an (n x R) DataFrame aligned with ``data``,
        one column per replicate, or ``None`` for a design without replicates.

        Replicates built by :func:`~surveyweights.replicate` are kept as their
        structure; this materialises them (n x R floats) on each access.
        """
        v = self.variance
        if not isinstance(v, ReplicateWeights):
            return None
        if self._sql is not None:
            from ..engines.base import not_on_engine

            raise not_on_engine(self, "design.replicate_weights (an n x R matrix of the units)")
        return pd.DataFrame(v.analysis_weights(self), index=self.data.index, columns=list(v.names))

    @property
    def n_stages(self) -> int:
        """Number of sampling stages whose variance is computed (1 for one-stage designs)."""
        return 1 if self._stages is None else len(self._stages)

    def _repr_html_(self) -> str:
        from .. import _display

        return _display.html_block(repr(self))

    def __repr__(self) -> str:
        if isinstance(self.variance, ReplicateWeights):
            v = self.variance
            return (f"Design({self.n} units with {v.n_replicates} {v.type!r} replicate weights"
                    f"{' (mse)' if v.mse else ''}, population size {self.population_size:,.1f}, "
                    f"degf {self.degf}"
                    f"{'' if self._sql is None else f', engine {self.engine.name!r}'})")
        if self._stages is not None:
            kind = (f"{self.n_stages} stages ({' > '.join(repr(_id_name(c)) for c in self.ids)}), "
                    f"{self.n_psu} PSUs")
        elif self._psu is not None:
            first = self.ids[0] if isinstance(self.ids, (list, tuple)) else self.ids
            kind = f"{self.n_psu} PSUs (clusters of {_id_name(first)!r})"
        else:
            kind = f"{self.n} units"
        fpc = "with fpc" if self.fpc is not None else "without fpc"
        return (f"Design({kind} in {self.n_strata} strata, {fpc}, population size "
                f"{self.population_size:,.1f}, degf {self.degf}, variance {self.variance.name!r}, "
                f"engine {self.engine.name!r})")


#: The ``replicate_method`` values of a design read from a file.
FILE_REPLICATE_METHODS: tuple[str, ...] = (
    "jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr", "other",
)


def _file_replicates(data: pd.DataFrame, w: np.ndarray, spec: Any, method: Any, scale: Any,
                     rscales: Any, mse: Any, combined: Any, rho: Any) -> ReplicateWeights:
    """Validate replicate weights given with a design (R's ``svrepdesign``)."""
    n = len(data)
    if isinstance(spec, str):
        try:
            pattern = re.compile(spec)
        except re.error as exc:
            raise InputError(f"replicate_weights={spec!r} is not a valid regular expression ({exc})") from None
        cols = [c for c in data.columns if isinstance(c, str) and pattern.search(c)]
        if not cols:
            raise InputError(
                f"replicate_weights={spec!r} matches no column of the data; give the replicate "
                f"columns as a list or a pattern such as 'PWGTP[0-9]+'"
            )
        frame = data[cols]
    elif isinstance(spec, pd.DataFrame):
        if not spec.index.equals(data.index):
            raise InputError(
                "replicate_weights DataFrame is not aligned with the data's index; pass columns "
                "of the data, or a frame with the same index"
            )
        frame = spec
    elif isinstance(spec, np.ndarray):
        if spec.ndim != 2 or spec.shape[0] != n:
            raise InputError(
                f"replicate_weights array has shape {spec.shape}; it needs one row per unit ({n}) "
                f"and one column per replicate"
            )
        frame = pd.DataFrame(spec, index=data.index,
                             columns=[f"rep{i + 1}" for i in range(spec.shape[1])])
    else:
        try:
            cols = as_columns(spec, what="replicate_weights")
        except InputError:
            raise InputError(
                f"replicate_weights must be a list of column names, a regular expression, a "
                f"DataFrame or an (n, R) array, got {type(spec).__name__}"
            ) from None
        check_columns(data, cols, what="replicate_weights", table="the data")
        frame = data[list(cols)]
    names = tuple(str(c) for c in frame.columns)
    R = len(names)
    _check_count_and_method(R, method)
    for c, dtype in frame.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise DesignError(
                f"replicate weight column {show(c)} is not numeric (dtype {dtype}); convert it "
                f"with pd.to_numeric first"
            )
    mat = np.ascontiguousarray(frame.to_numpy(dtype=float, na_value=np.nan))
    finite = np.isfinite(mat)
    if not finite.all():
        bad = ~finite
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = bad[:, j]
        raise DesignError(
            f"replicate weight column {names[j]!r} is missing or infinite in {int(rows.sum())} "
            f"row(s) (index {_rows(data.index, rows)}); every unit needs a finite replicate weight "
            f"(0 for a unit dropped from a replicate)"
        )
    if not isinstance(combined, (bool, np.bool_)):
        raise InputError(f"combined_weights={combined!r} must be True or False")
    if not combined:
        mat *= w[:, None]
    scale, rs = _replicate_parameters(R, method, scale, rscales, mse, rho)
    structure = UnitWeights(mat)
    rank = structure.rank(w, np.arange(n))
    return ReplicateWeights(structure, float(scale), rs,
                            mse=bool(mse), type=str(method),
                            rho=float(rho) if rho is not None else None, names=names,
                            design_degf=rank - 1)


def _collect_replicates(v: ReplicateWeights, d: Design) -> ReplicateWeights:
    """A SQL design's replicate method on its rows loaded into memory (``d``): the same
    replicate columns, or the same factors with each unit's PSU looked up by label."""
    from ..variance.replicate import SourceColumns

    if isinstance(v.structure, SourceColumns):
        mat = np.ascontiguousarray(d.data[list(v.structure.columns)].to_numpy(dtype=float))
        if not v.structure.combined:
            mat = mat * d._w[:, None]
        return replace(v, structure=UnitWeights(mat), psu_labels=None)
    ids = d.data[d.ids] if isinstance(d.ids, str) else d.data[d.ids[0]]
    cluster = v.psu_labels.get_indexer(pd.Index(ids, dtype=object))
    return replace(v, structure=replace(v.structure, cluster=cluster.astype(np.intp)),
                   psu_labels=None)


def _no_replicate_columns() -> InputError:
    return InputError(
        "replicate_method=, scale=, rscales=, mse= and rho= describe replicate weights; "
        "pass replicate_weights= too, or build replicates from this design with "
        "sw.replicate(design, method=...)"
    )


def _check_count_and_method(R: int, method: Any) -> None:
    if R < 2:
        raise InputError(f"replicate_weights gives {R} column(s); a replicate design needs at least 2")
    if method is None or method not in FILE_REPLICATE_METHODS:
        raise InputError(
            f"replicate_method={method!r} is not valid; say how the replicate weights were made, "
            f"one of {list(FILE_REPLICATE_METHODS)} (R's svrepdesign type=)"
        )


def _replicate_parameters(R: int, method: str, scale: Any, rscales: Any, mse: Any,
                          rho: Any) -> tuple[float, np.ndarray]:
    """Check mse, rho, scale and rscales of replicate weights given with a design; the
    scale (R's default for the method where none is given) and the rscales."""
    if not isinstance(mse, (bool, np.bool_)):
        raise InputError(f"mse={mse!r} must be True or False")
    if rho is not None and method != "fay":
        raise InputError(f"rho= is Fay's coefficient; it is used only with replicate_method='fay'")
    if method == "fay":
        if rho is None or not isinstance(rho, (int, float, np.floating)) or not 0 < rho < 1:
            raise InputError(
                f"replicate_method='fay' needs rho= strictly between 0 and 1 (Fay's coefficient "
                f"the file was made with), got {rho!r}"
            )
    default = {
        "brr": 1.0 / R,
        "fay": 1.0 / (R * (1.0 - float(rho or 0.0)) ** 2),
        "bootstrap": 1.0 / (R - 1),
        "subbootstrap": 1.0 / (R - 1),
        "sdr": 4.0 / R,
        "jkn": 1.0,
    }.get(method)
    if scale is None:
        if default is None:
            raise InputError(
                f"replicate_method={method!r} needs scale=: for a delete-one jackknife of R "
                f"PSUs without fpc it is (R - 1)/R = {(R - 1) / R!r}; take it from the file's "
                f"documentation"
            )
        scale = default
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not np.isfinite(scale) or scale <= 0:
        raise InputError(f"scale={scale!r} must be a positive number")
    if rscales is None:
        if method == "jkn":
            raise InputError(
                "replicate_method='jkn' needs rscales=, one (n_h - 1)/n_h per replicate (times "
                "1 - f_h with an fpc), as R's svrepdesign"
            )
        rs = np.ones(R)
    else:
        rs = np.asarray(rscales, dtype=float).ravel()
        if rs.size == 1:
            rs = np.full(R, float(rs[0]))
        if rs.size != R:
            raise InputError(f"rscales has {rs.size} values; give one per replicate ({R}) or a single number")
        if not np.isfinite(rs).all() or (rs < 0).any():
            raise InputError("rscales must be finite and >= 0")
    return float(scale), rs


def _sql_file_replicates(src, weight: str, spec: Any, method: Any, scale: Any, rscales: Any,
                         mse: Any, combined: Any, rho: Any) -> ReplicateWeights:
    """Replicate weight columns of a SQL source (R's ``svrepdesign``), validated with one
    aggregate query: missing or infinite values per column, and the Gram matrix of the
    analysis replicate weights, whose rank gives ``degf``."""
    from ..engines.sql import bucket_arrays, gram_from, gram_query, replicate_check_query
    from ..variance.replicate import SourceColumns, certified_rank, gram_rank

    schema = src.schema()
    if isinstance(spec, str):
        try:
            pattern = re.compile(spec)
        except re.error as exc:
            raise InputError(f"replicate_weights={spec!r} is not a valid regular expression ({exc})") from None
        cols = [c for c in schema if isinstance(c, str) and pattern.search(c)]
        if not cols:
            raise InputError(
                f"replicate_weights={spec!r} matches no column of the {src.name} source; give the "
                f"replicate columns as a list or a pattern such as 'PWGTP[0-9]+'"
            )
    elif isinstance(spec, (pd.DataFrame, np.ndarray)):
        raise InputError(
            f"replicate_weights is a {type(spec).__name__}, but on the {src.name} engine the "
            f"replicate weights must be columns of the source: give their names (a list or a "
            f"regular expression), or use an in-memory design"
        )
    else:
        try:
            cols = list(as_columns(spec, what="replicate_weights"))
        except InputError:
            raise InputError(
                f"replicate_weights must be a list of column names or a regular expression on "
                f"the {src.name} engine, got {type(spec).__name__}"
            ) from None
        src.check_columns(cols, what="replicate_weights")
    R = len(cols)
    _check_count_and_method(R, method)
    for c in cols:
        kind, _ = schema[c]
        if kind != "numeric":
            raise DesignError(
                f"replicate weight column {show(c)} is not numeric ({kind} in the {src.name} "
                f"source); cast it to a number in the source first"
            )
    if not isinstance(combined, (bool, np.bool_)):
        raise InputError(f"combined_weights={combined!r} must be True or False")
    res = src.run(replicate_check_query(src, cols, weight=weight, combined=bool(combined)))
    for j, c in enumerate(cols):
        bad = int(np.nansum(np.asarray(res[f"__bad{j}"], dtype=float)))
        if bad:
            raise DesignError(
                f"replicate weight column {c!r} is missing or infinite in {bad} row(s) of the "
                f"{src.name} source; every unit needs a finite replicate weight (0 for a unit "
                f"dropped from a replicate)"
            )
    scale, rs = _replicate_parameters(R, method, scale, rscales, mse, rho)
    rank = certified_rank(*bucket_arrays(res, R))
    if rank is None:  # not certified by the bucket sums: the Gram matrix decides
        rank = gram_rank(gram_from(src.run(gram_query(src, cols, weight=weight,
                                                      combined=bool(combined))), R)[0])
    return ReplicateWeights(SourceColumns(tuple(cols), bool(combined)), scale, rs,
                            mse=bool(mse), type=str(method),
                            rho=float(rho) if rho is not None else None,
                            names=tuple(str(c) for c in cols), design_degf=rank - 1)
