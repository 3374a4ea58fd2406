"""Combining estimates from multiply imputed data (Rubin's rules).

:func:`combine_rubin` pools ``M`` tidy estimate frames, one per completed
dataset, into one tidy frame with the pooled estimate, its total variance
split into within and between parts, the Barnard-Rubin degrees of freedom, the
fraction of missing information and a t-based confidence interval.
:class:`MultipleImputation` holds the completed datasets made by
:func:`surveyweights.imputation.multiply_impute` and runs an estimator on each.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _display
from ..errors import (
    ImputationError,
    InputError,
    MissingValueError,
    NoDegreesOfFreedomWarning,
    user_stacklevel,
)

__all__ = ["MultipleImputation", "STAT_COLUMNS", "barnard_rubin_df", "combine_rubin"]

#: Columns of an estimate frame that are statistics, not keys. Every other
#: column is a key when ``keys=None``.
STAT_COLUMNS = (
    # the statistics of surveyweights' estimate tables (estimation.COLUMNS) ...
    "estimate", "se", "ci_low", "ci_high", "df", "n", "method", "confidence_level",
    "deff", "n_eff", "n_missing",
    # ... and of other common estimate frames
    "var", "cv",
)

_OUT_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "within",
    "between",
    "riv",
    "lambda",
    "fmi",
    "df_complete",
    "m",
)


def barnard_rubin_df(
    within: Any, between: Any, m: int, df_complete: Any = np.inf
) -> np.ndarray:
    """Degrees of freedom of a multiple-imputation estimate.

    Parameters
    ----------
    within, between : float or array
        Within-imputation variance ``W`` (mean of the squared SEs) and
        between-imputation variance ``B`` (variance of the estimates, ddof=1).
    m : int
        Number of imputations (>= 2).
    df_complete : float or array, default inf
        Complete-data degrees of freedom ``nu_com``.

    Returns
    -------
    numpy.ndarray
        ``nu`` of Barnard & Rubin (1999); equal to Rubin's (1987)
        ``(m - 1) / lambda**2`` when ``df_complete`` is infinite.

    Notes
    -----
    With ``T = W + (1 + 1/m) B`` and ``lambda = (1 + 1/m) B / T``:

    * Rubin (1987, eq. 3.1.6): ``nu_old = (m - 1) / lambda**2``;
    * Barnard & Rubin (1999, eq. 3):
      ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``;
    * Barnard & Rubin (1999, eq. 4 / sec. 3): ``nu = 1 / (1/nu_old + 1/nu_obs)``.

    When ``B = 0`` (no imputation variance), ``lambda = 0`` and
    ``nu_old = inf``, so ``nu = nu_obs`` (``inf`` for ``nu_com = inf``).
    R's ``mice::pool`` instead floors ``lambda`` at 1e-4, which gives a large
    finite value in that case; otherwise the two agree.

    Examples
    --------
    >>> float(barnard_rubin_df(1.0, 0.5, 5).round(6))
    28.444444
    >>> float(barnard_rubin_df(1.0, 0.5, 5, df_complete=30).round(6))
    10.877789
    """
    W = np.asarray(within, dtype=float)
    B = np.asarray(between, dtype=float)
    nu_com = np.asarray(df_complete, dtype=float)
    T = W + (1.0 + 1.0 / m) * B
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(T > 0, (1.0 + 1.0 / m) * B / T, 0.0)
        nu_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        nu_obs = np.where(
            np.isinf(nu_com),
            np.inf,
            (nu_com + 1.0) / (nu_com + 3.0) * nu_com * (1.0 - lam),
        )
        inv = np.where(np.isinf(nu_old), 0.0, 1.0 / nu_old) + np.where(
            np.isinf(nu_obs), 0.0, 1.0 / nu_obs
        )
        nu = np.where(inv > 0, 1.0 / inv, np.inf)
    return nu


def combine_rubin(
    results: Sequence[pd.DataFrame],
    *,
    keys: Sequence[str] | None = None,
    df_complete: float | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Pool ``M`` estimate frames with Rubin's rules.

    Parameters
    ----------
    results : sequence of pandas.DataFrame
        One tidy frame per completed dataset, each with columns ``estimate``
        and ``se`` (optionally ``df``, the complete-data degrees of freedom,
        and ``n``) and the key columns. The key values must identify rows
        uniquely and be the same set in every frame (row order may differ).
    keys : list of str, optional
        Columns identifying an estimate, e.g. ``[*by, "variable", "level"]``.
        Default: every column not in :data:`STAT_COLUMNS`.
    df_complete : float, optional
        Complete-data degrees of freedom ``nu_com`` for every row. Default:
        the ``df`` column of the frames (per key, the smallest over the
        imputations, which only differ when a domain depends on imputed
        values), or infinity if there is no ``df`` column.  A negative df is an
        error; where it is 0 (as :func:`surveyweights.proportion` reports for a
        domain with one respondent per stratum) the combined df is 0 and the
        interval is (-inf, inf), with a ``NoDegreesOfFreedomWarning``.
    confidence_level : float, default 0.95
        Level of the t interval.

    Returns
    -------
    pandas.DataFrame
        ``[*keys, "estimate", "se", "ci_low", "ci_high", "df", "within",
        "between", "riv", "lambda", "fmi", "df_complete", "m"]`` (plus ``n``,
        the mean over imputations, when the inputs have it), in the key order
        of the first frame.

    Raises
    ------
    InputError
        Fewer than 2 frames, missing columns, duplicated or mismatched keys,
        negative SE, bad ``confidence_level``.
    MissingValueError
        A missing estimate or SE.

    Notes
    -----
    For one estimand with estimates ``q_m`` and standard errors ``s_m``,
    ``m = 1..M`` (Rubin 1987, sec. 3.1):

    * ``estimate = qbar = mean(q_m)``;
    * ``within = W = mean(s_m**2)``, ``between = B = var(q_m, ddof=1)``;
    * ``T = W + (1 + 1/M) B`` and ``se = sqrt(T)``;
    * ``riv = r = (1 + 1/M) B / W`` (relative increase in variance);
    * ``lambda = (1 + 1/M) B / T``;
    * ``df = nu`` from :func:`barnard_rubin_df` (Barnard & Rubin 1999);
    * ``fmi = (r + 2 / (nu + 3)) / (r + 1)`` (Rubin 1987, eq. 3.1.10, with the
      adjusted ``nu`` as in R's ``mice::pool``);
    * ``ci = qbar -/+ t_{nu, (1 + level)/2} * se``.

    With ``B = 0`` the result reduces to the complete-data inference
    (``riv = lambda = 0``); with ``W = 0 < B``, ``riv = inf`` and ``fmi = 1``.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley.

    Barnard, J. & Rubin, D. B. (1999). Small-sample degrees of freedom with
    multiple imputation. *Biometrika* 86(4), 948-955.

    Examples
    --------
    >>> import pandas as pd
    >>> frames = [pd.DataFrame({"variable": ["y"], "estimate": [q], "se": [0.1]})
    ...           for q in (0.40, 0.44, 0.42)]
    >>> out = combine_rubin(frames)
    >>> out[["variable", "estimate", "within", "between"]].round(6)
      variable  estimate  within  between
    0        y      0.42    0.01   0.0004
    """
    frames = list(results) if not isinstance(results, pd.DataFrame) else [results]
    M = len(frames)
    if M < 2:
        raise InputError(
            f"combine_rubin got {M} estimate frame(s); Rubin's rules need one frame "
            "per imputation and M >= 2 to estimate the between-imputation variance"
        )
    for i, f in enumerate(frames):
        if not isinstance(f, pd.DataFrame):
            raise InputError(
                f"results[{i}] is a {type(f).__name__}, not a DataFrame; pass one tidy "
                "estimate frame per imputation"
            )
        miss = [c for c in ("estimate", "se") if c not in f.columns]
        if miss:
            raise InputError(
                f"results[{i}] lacks column(s) {miss}; each frame needs 'estimate' and "
                f"'se' (it has {list(map(str, f.columns))})"
            )
    if not (isinstance(confidence_level, numbers.Real) and 0 < confidence_level < 1):
        raise InputError(
            f"confidence_level={confidence_level!r} must be a number strictly between "
            "0 and 1, e.g. 0.95"
        )
    if keys is None:
        keys = [c for c in frames[0].columns if c not in STAT_COLUMNS]
    else:
        keys = [keys] if isinstance(keys, str) else list(keys)
    for i, f in enumerate(frames):
        miss = [k for k in keys if k not in f.columns]
        if miss:
            raise InputError(
                f"results[{i}] lacks key column(s) {miss}; every frame must have the "
                f"keys {keys}"
            )

    if keys:
        idx0 = pd.MultiIndex.from_frame(frames[0][keys])
        aligned = []
        for i, f in enumerate(frames):
            fi = f.set_index(keys) if i else f.set_index(pd.Index(idx0))
            idx = pd.MultiIndex.from_frame(f[keys])
            if not idx.is_unique:
                dup = idx[idx.duplicated()][:3].tolist()
                raise InputError(
                    f"results[{i}] has duplicated keys {dup} for keys={keys}; each "
                    "estimate needs a unique key: add the missing key column to keys="
                )
            only_here = idx.difference(idx0)
            only_first = idx0.difference(idx)
            if len(only_here) or len(only_first):
                raise InputError(
                    f"results[{i}] and results[0] estimate different things: keys "
                    f"{only_first[:3].tolist()} missing in results[{i}], "
                    f"{only_here[:3].tolist()} missing in results[0]; every "
                    "imputation must report the same rows (e.g. make the estimator "
                    "return every category, also with estimate 0)"
                )
            fi = f.copy()
            fi.index = idx
            aligned.append(fi.reindex(idx0))
        out = frames[0][keys].reset_index(drop=True)
    else:
        n_rows = {len(f) for f in frames}
        if n_rows != {1}:
            raise InputError(
                f"the frames have no key columns and {sorted(n_rows)} rows; without "
                "keys= each frame must hold exactly one estimate: pass keys=[...]"
            )
        aligned = frames
        out = pd.DataFrame(index=range(1))

    def stack(col: str) -> np.ndarray:
        try:
            return np.vstack(
                [pd.to_numeric(f[col]).to_numpy(dtype=float) for f in aligned]
            )
        except (TypeError, ValueError):
            raise InputError(f"column {col!r} is not numeric in every frame") from None

    Q = stack("estimate")
    S = stack("se")
    for col, arr in (("estimate", Q), ("se", S)):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, r = bad[0]
            raise MissingValueError(
                f"results[{i}] has a missing or infinite {col} in row {r} "
                f"({out.iloc[r].to_dict() if keys else ''}); Rubin's rules need finite "
                "estimates and SEs: drop that estimand or fix the estimator"
            )
    if (S < 0).any():
        i, r = np.argwhere(S < 0)[0]
        raise InputError(
            f"results[{i}] has a negative se {float(S[i, r])!r} in row {r}; an SE must be >= 0"
        )

    if df_complete is not None:
        if not isinstance(df_complete, numbers.Real) or not df_complete > 0:
            raise InputError(
                f"df_complete={df_complete!r} must be a positive number (or inf)"
            )
        nu_com = np.full(Q.shape[1], float(df_complete))
    elif all("df" in f.columns for f in frames):
        D = stack("df")
        if (D < 0).any():
            i, r = np.argwhere(D < 0)[0]
            raise InputError(
                f"results[{i}] has a negative df {float(D[i, r])!r} in row {r}; degrees of "
                "freedom must be >= 0 (or pass df_complete=)"
            )
        D = np.where(np.isnan(D), np.inf, D)
        nu_com = D.min(axis=0)
    else:
        nu_com = np.full(Q.shape[1], np.inf)

    qbar = Q.mean(axis=0)
    W = (S**2).mean(axis=0)
    B = Q.var(axis=0, ddof=1)
    T = W + (1.0 + 1.0 / M) * B
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(W > 0, (1.0 + 1.0 / M) * B / W, np.where(B > 0, np.inf, 0.0))
        lam = np.where(T > 0, (1.0 + 1.0 / M) * B / T, 0.0)
        nu = barnard_rubin_df(W, B, M, nu_com)
        fmi = np.where(np.isinf(riv), 1.0, (riv + 2.0 / (nu + 3.0)) / (riv + 1.0))
        se = np.sqrt(T)
        tq = stats.t.ppf(0.5 + confidence_level / 2.0, nu)
    zero_df = ~(nu > 0)
    if zero_df.any():
        # as every estimator: no t quantile on 0 df, so the interval is the whole line
        tq = np.where(zero_df, np.inf, tq)
        warnings.warn(
            f"{int(zero_df.sum())} combined estimate(s) have 0 degrees of freedom (an "
            f"imputation's estimate had df = 0), so no t quantile exists and the interval is "
            f"(-inf, inf); estimate those domains with df='satterthwaite' or pass df_complete=",
            NoDegreesOfFreedomWarning,
            stacklevel=user_stacklevel(),
        )
    out["estimate"] = qbar
    out["se"] = se
    out["ci_low"] = qbar - tq * se
    out["ci_high"] = qbar + tq * se
    out["df"] = nu
    out["within"] = W
    out["between"] = B
    out["riv"] = riv
    out["lambda"] = lam
    out["fmi"] = fmi
    out["df_complete"] = nu_com
    out["m"] = M
    if all("n" in f.columns for f in frames):
        out["n"] = stack("n").mean(axis=0)
    return out


@dataclass(frozen=True)
class MultipleImputation:
    """``M`` completed datasets from :func:`~surveyweights.imputation.multiply_impute`.

    Attributes
    ----------
    datasets : tuple of pandas.DataFrame
        The completed datasets, in imputation order.
    flags : tuple of pandas.DataFrame
        Per dataset, True where a value was imputed.
    reports : tuple of pandas.DataFrame
        Per dataset, the :func:`~surveyweights.imputation.hot_deck` report.
    bootstrap : bool
        Whether donors were drawn through the approximate Bayesian bootstrap
        (proper imputation).
    """

    datasets: tuple[pd.DataFrame, ...]
    flags: tuple[pd.DataFrame, ...]
    reports: tuple[pd.DataFrame, ...]
    bootstrap: bool = False

    @property
    def M(self) -> int:
        """Number of imputations."""
        return len(self.datasets)

    def __repr__(self) -> str:
        """One line: M, the size of each dataset, the items and the cells imputed."""
        how = "approximate Bayesian bootstrap" if self.bootstrap else "hot deck, no bootstrap"
        if not self.datasets:
            return f"MultipleImputation: M=0 ({how})"
        rep = self.reports[0]
        items = ", ".join(str(i) for i in rep["item"])
        return (f"MultipleImputation: M={self.M} completed datasets ({how}) of "
                f"{_display.number(len(self.datasets[0]))} rows; {_display.plural(len(rep), 'item')} ({items}), "
                f"{_display.number(int(rep['n_imputed'].sum()))} cells imputed in each")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.to_frame(),
                                   note="Pool any estimator with .estimate(...) (Rubin's rules)")

    def to_frame(self) -> pd.DataFrame:
        """The per-item reports of all imputations, stacked with a column ``m``."""
        return pd.concat(
            [r.assign(m=i) for i, r in enumerate(self.reports)], ignore_index=True
        )

    def estimate(
        self,
        estimator: Callable[..., Any],
        *args: Any,
        design: Callable[[pd.DataFrame], Any] | None = None,
        keys: Sequence[str] | None = None,
        df_complete: float | None = None,
        confidence_level: float = 0.95,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """Run ``estimator`` on every completed dataset and pool with Rubin's rules.

        Parameters
        ----------
        estimator : callable
            Called as ``estimator(obj, *args, **kwargs)`` with ``obj`` the
            completed dataset, or ``design(dataset)`` when ``design`` is given.
            Must return a tidy frame with ``estimate`` and ``se`` (or an object
            with ``.to_frame()`` returning one).
        *args, **kwargs
            Passed to ``estimator``.
        design : callable, optional
            Builds the analysis object from a completed dataset, e.g.
            ``lambda d: sw.Design(d, weights="w", strata=["nace", "size"])``;
            the design must be rebuilt per dataset because its data differ.
        keys, df_complete, confidence_level
            Passed to :func:`combine_rubin`; ``confidence_level`` sets the
            pooled interval and is not passed to ``estimator``.

        Returns
        -------
        pandas.DataFrame
            The pooled tidy frame of :func:`combine_rubin`.

        Examples
        --------
        >>> import pandas as pd
        >>> from surveyweights.imputation import multiply_impute
        >>> df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4,
        ...                    "y": [1.0, None, 0.0, 1.0, 0.0, 0.0, None, 1.0]})
        >>> mi = multiply_impute(df, ["y"], by=["g"], M=5, rng=1, bootstrap=True)
        >>> def mean(d, col):
        ...     y = d[col]
        ...     return pd.DataFrame({"variable": [col], "estimate": [y.mean()],
        ...                          "se": [y.std(ddof=1) / len(y) ** 0.5]})
        >>> list(mi.estimate(mean, "y").columns[:3])
        ['variable', 'estimate', 'se']
        """
        if design is not None and not callable(design):
            raise InputError(
                f"design={design!r} is not callable; pass a function data -> design"
            )
        frames = []
        for i, d in enumerate(self.datasets):
            obj = design(d) if design is not None else d
            res = estimator(obj, *args, **kwargs)
            if not isinstance(res, pd.DataFrame) and hasattr(res, "to_frame"):
                res = res.to_frame()
            if not isinstance(res, pd.DataFrame):
                raise ImputationError(
                    f"the estimator returned a {type(res).__name__} on imputation {i}; "
                    "it must return a tidy DataFrame with 'estimate' and 'se' (or an "
                    "object with .to_frame())"
                )
            frames.append(res)
        return combine_rubin(
            frames, keys=keys, df_complete=df_complete, confidence_level=confidence_level
        )
