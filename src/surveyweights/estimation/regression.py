"""Design-based generalized linear models, R's ``svyglm``: "which firms adopt AI?".

The coefficients solve the weighted estimating equations of a GLM, fitted with
statsmodels; their variance is the sandwich A^-1 V(U) A^-T, where U are the
units' estimating-function scores and V(U) comes from the design's variance
method -- so strata, clusters, stages, fpc, calibration and replicate weights all
carry over, as in R's ``svyglm`` (Binder 1983; Lumley 2010, ch. 5).

Formulas are read with patsy's parser, but no part of the formula is ever
evaluated as Python: every term must name columns of the data (``x``,
``Q("api.stu")``, ``C(x)``), combined with patsy's operators (``+ - : * 0 1``).
Derived variables come from :meth:`Design.assign`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy
from statsmodels.genmod import families as sm_families
from scipy import stats

from ._domains import subset_mask
from .._strata import show
from ..design import Design, require_design
from .. import _display
from ..engines.base import require_memory
from ..errors import ConvergenceError, InputError, MissingValueError
from .estimates import _check_level

__all__ = ["glm", "GLMResult", "GLM_FAMILIES"]

#: The families of :func:`glm` (canonical links).  ``binomial`` and
#: ``quasibinomial`` give the same design-based fit, as do ``poisson`` and
#: ``quasipoisson`` (R's ``svyglm`` estimates no dispersion).
GLM_FAMILIES: tuple[str, ...] = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")

#: The columns of :meth:`GLMResult.to_frame`.
GLM_COLUMNS: tuple[str, ...] = ("term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "df")


@dataclass(frozen=True)
class GLMResult:
    """A fitted design-based GLM (frozen).

    Attributes
    ----------
    formula : str
    family : str
    coef : pandas.Series
        The coefficients, indexed by term.
    vcov : pandas.DataFrame
        Their design-based covariance matrix.
    df : float
        Residual degrees of freedom, R's ``degf(design) - p + 1``.
    n : int
        Units in the fit.
    n_missing : int
        Units of the (sub)population left out for a missing model variable
        (``na="available"``).
    confidence_level : float
    """

    formula: str
    family: str
    coef: pd.Series = field(repr=False)
    vcov: pd.DataFrame = field(repr=False)
    df: float
    n: int
    n_missing: int
    confidence_level: float
    _table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: ``term, estimate, se, t, p_value, ci_low, ci_high, df``."""
        return self._table.copy()

    def __repr__(self) -> str:
        """The coefficients with SE, interval and p-value within 80 columns."""
        title = f"GLMResult({self.formula!r}, family={self.family!r}, n={self.n}, df={self.df:g})"
        body = _display.table(self._table, ["term"], ["estimate", "se", "ci_low", "ci_high", "p_value"])
        return f"{title}\n{body}"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self).split("\n")[0], self._table)


# ----------------------------------------------------------------- formula terms
def _column_of(node: ast.AST, code: str, data: pd.DataFrame, formula: str) -> str:
    """The column a factor names: ``x`` or ``Q("x")``; anything else is refused."""
    if isinstance(node, ast.Name):
        name = node.id
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q"
          and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)
          and isinstance(node.args[0].value, str)):
        name = node.args[0].value
    else:
        raise InputError(
            f"formula {formula!r}: the term {code!r} is not supported; terms name columns (x, "
            f"Q('name with.dots'), C(x) for a categorical), combined with + - : * and 0/1. "
            f"Derive other variables first with design.assign(name=...)"
        )
    if name not in data.columns:
        raise InputError(
            f"formula {formula!r} names the column {name!r}, which is not in the design's data; "
            f"available columns: {list(map(str, data.columns))}. Correct the name, or add the "
            f"variable with design.assign({name}=...)"
        )
    return name


def _factor(code: str, data: pd.DataFrame, formula: str) -> tuple[str, bool]:
    """(column, forced categorical) of one factor's code, validated without evaluating it."""
    try:
        node = ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        raise InputError(f"formula {formula!r}: cannot read the term {code!r}") from None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "C"
            and len(node.args) == 1 and not node.keywords):
        return _column_of(node.args[0], code, data, formula), True
    return _column_of(node, code, data, formula), False


def _categorical(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.remove_unused_categories()
    values = sorted(pd.unique(s.dropna()), key=lambda v: (isinstance(v, str), v))
    return pd.Series(pd.Categorical(s, categories=values), index=s.index)


@dataclass(frozen=True)
class _Model:
    response: str
    columns: dict          # factor code -> (column, categorical)
    rhs: str               # the formula with safe names
    names: dict            # safe name -> the user's code


def _parse(formula: str, data: pd.DataFrame) -> _Model:
    if not isinstance(formula, str) or "~" not in formula:
        raise InputError(f"formula={formula!r} must be a string 'response ~ terms', e.g. "
                         f"'sch_wide ~ ell + meals + C(stype)'")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as exc:
        raise InputError(f"formula {formula!r} cannot be read: {exc}") from None
    lhs = [f for t in desc.lhs_termlist for f in t.factors]
    if len(lhs) != 1 or len(desc.lhs_termlist) != 1:
        raise InputError(f"formula {formula!r} must have exactly one response variable left of '~'")
    response, _ = _factor(lhs[0].code, data, formula)
    columns, names, safe = {}, {}, {}
    terms = []
    intercept = False
    for term in desc.rhs_termlist:
        if not term.factors:
            intercept = True
            continue
        parts = []
        for f in term.factors:
            if f.code not in safe:
                col, cat = _factor(f.code, data, formula)
                key = f"_sw_v{len(safe)}_"
                safe[f.code] = key
                columns[key] = (col, cat)
                names[key] = f.code
            parts.append(safe[f.code])
        terms.append(":".join(parts))
    rhs = " + ".join((["1"] if intercept else ["0"]) + terms)
    return _Model(response, columns, rhs, names)


def _response(s: pd.Series, family: str, formula: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float)
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        levels = list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else sorted(pd.unique(s.dropna()))
        if family in ("binomial", "quasibinomial") and len(levels) == 2:
            return (s == levels[1]).to_numpy(dtype=float)  # R: the first level is failure
        raise InputError(
            f"the response {s.name!r} of {formula!r} is categorical with levels "
            f"{', '.join(show(v) for v in levels[:10])}; a {family} model needs a numeric response "
            f"(binomial: 0/1, boolean, or a factor with two levels)"
        )
    y = s.to_numpy(dtype=float)
    if family in ("binomial", "quasibinomial") and not np.all((y >= 0) & (y <= 1)):
        raise InputError(f"the response {s.name!r} of {formula!r} has values outside [0, 1]; a "
                         f"binomial model needs proportions, 0/1 or a boolean")
    return y


def _family(family: str):
    if family not in GLM_FAMILIES:
        raise InputError(f"family={family!r} is not available; choose one of {list(GLM_FAMILIES)}")
    if family == "gaussian":
        return sm_families.Gaussian()
    if family in ("binomial", "quasibinomial"):
        return sm_families.Binomial()
    return sm_families.Poisson()


def _start(y, w, family: str) -> np.ndarray:
    """R's starting fitted values (the family's ``initialize``)."""
    if family in ("binomial", "quasibinomial"):
        return (w * y + 0.5) / (w + 1)
    if family in ("poisson", "quasipoisson"):
        return y + 0.1
    return y.copy()


def _fit(y, X, w, fam, family: str, *, start=None, epsilon: float = 1e-8, maxit: int = 25):
    """The weighted GLM fit by iteratively reweighted least squares, replaying R's ``glm.fit``.

    Starts from R's fitted values (or from the coefficients ``start``), takes R's IRLS steps (weighted least squares
    of the working response on X) and stops when the deviance changes by less
    than ``epsilon`` relative, |dev - dev_old| / (|dev| + 0.1) (McCullagh & Nelder
    1989, sec. 2.5; R's ``glm.control``).  Returns the coefficients, the fitted
    linear predictor and the working weights of the last iteration -- computed,
    as in R, before its final step; R's ``svyglm`` sandwich uses them.  The link,
    variance and deviance functions are statsmodels' families.
    """
    import warnings

    eta = fam.link(_start(y, w, family)) if start is None else X @ start
    mu = fam.link.inverse(eta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dev_old = fam.deviance(y, mu, var_weights=w)
        for _ in range(maxit):
            mu_eta = fam.link.inverse_deriv(eta)
            z = eta + (y - mu) / mu_eta
            working = w * mu_eta * mu_eta / fam.variance(mu)
            root = np.sqrt(working)
            beta = np.linalg.lstsq(X * root[:, None], z * root, rcond=None)[0]
            eta = X @ beta
            mu = fam.link.inverse(eta)
            dev = fam.deviance(y, mu, var_weights=w)
            if not np.isfinite(dev) or not np.all(np.isfinite(beta)):
                break
            if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
                return beta, eta, working
            dev_old = dev
    raise ConvergenceError(
        f"the {family} fit did not converge in {maxit} iterations (perfect separation, or too "
        f"few units in a category?); simplify the model or merge sparse categories"
    )


def glm(
    design: Design,
    formula: str,
    *,
    family: str = "gaussian",
    subset: Any = None,
    confidence_level: float = 0.95,
    na: str = "error",
) -> GLMResult:
    """Design-based linear and logistic regression, R's ``svyglm``.

    Parameters
    ----------
    design : Design
    formula : str
        ``"response ~ terms"``: terms are columns (``ell``, ``Q("api.stu")`` for
        names that are not identifiers), categoricals with ``C(x)`` (string,
        boolean and categorical columns are categorical anyway; the first level is
        the reference), interactions ``a:b`` and ``a*b``; ``0 +`` or ``- 1`` drops
        the intercept.  Nothing in the formula is evaluated as Python.
    family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}, keyword-only
        Canonical links (identity, logit, log).  A binomial response is 0/1, a
        boolean, a proportion or a two-level categorical (its second level is the
        event).
    subset : mask or query string, optional, keyword-only
        Fit in a subpopulation (R's ``svyglm(..., subset=)``): the other units stay
        in the design with zero scores.
    confidence_level : float, default 0.95, keyword-only
    na : {"error", "available"}, default "error", keyword-only
        A missing model variable raises; ``"available"`` leaves the unit out (R's
        default ``na.action=na.omit``).

    Returns
    -------
    GLMResult
        ``.to_frame()``: ``term, estimate, se, t, p_value, ci_low, ci_high, df``.

    Raises
    ------
    InputError
        A formula naming a column that is not in the data, an unsupported term, an
        unknown family, a response the family cannot take.
    MissingValueError
        A missing model variable with ``na="error"``.
    ConvergenceError
        The fit does not converge (e.g. perfect separation).

    Notes
    -----
    The coefficients b solve sum_i w_i x_i (y_i - mu_i) mu'(eta_i) / V(mu_i) = 0.
    With U_i = w_i x_i (y_i - mu_i) mu'(eta_i) / V(mu_i) and A = sum_i w_i x_i x_i'
    mu'(eta_i)^2 / V(mu_i), each unit's influence is U_i A^-1 and Var(b) is the
    design's covariance of their totals (Binder 1983).  The fit replays R's
    ``glm.fit`` iterations (its start, steps and stopping rule) and, as R's
    ``svyglm``, evaluates the working weights in U and A at the last iterate but
    one; R's numbers are matched to about 1e-12.  (The converged solution of the
    equations differs from R's by < 1e-9 relative in the coefficients and up to
    ~1e-5 in the SE of a logistic model: R's convergence tolerance, not a
    different estimator.)  The t statistics and intervals use df = degf - p + 1, where
    degf counts the PSUs minus strata of the units in the fit.  Matches R's
    ``summary(svyglm(formula, design, family=...))`` (estimates, SE, t, p) and
    ``confint(svyglm(...))``.  An intercept-only gaussian model is the mean (R's
    ``svymean``), with df one less than the mean's.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": list("aaaabbbb"), "x": [1.0, 2, 3, 4, 1, 2, 3, 4],
    ...                    "y": [1.1, 2.3, 2.8, 4.2, 2.0, 2.9, 4.1, 5.0]})
    >>> fit = sw.glm(sw.Design(df, strata="h"), "y ~ x")
    >>> fit.to_frame()["term"].tolist()
    ['Intercept', 'x']
    """
    require_design(design)
    require_memory(design, "sw.glm (it fits the model to the unit rows by IRLS)",
                   alternatives="sw.mean, sw.ratio, sw.difference or sw.ttest for the means and "
                                "contrasts of a model on categories (computed on the engine), or ")
    level = _check_level(confidence_level)
    data = design.data
    fam = _family(family)
    model = _parse(formula, data)
    mask = subset_mask(data, subset)
    used_cols = [model.response] + [c for c, _ in model.columns.values()]
    miss = np.zeros(len(data), dtype=bool)
    for c in dict.fromkeys(used_cols):
        miss |= data[c].isna().to_numpy()
    miss &= mask
    if na not in ("error", "available"):
        raise InputError(f"na={na!r} is not a valid policy; choose one of ['error', 'available']")
    if miss.any() and na == "error":
        cols = [c for c in dict.fromkeys(used_cols) if (data[c].isna().to_numpy() & mask).any()]
        rows = ", ".join(show(i) for i in data.index[miss][:10])
        raise MissingValueError(
            f"the model variable(s) {cols} of {formula!r} are missing for {int(miss.sum())} "
            f"unit(s) (index {rows}); choose na='available' to leave them out (R's na.omit), "
            f"impute them, or exclude them explicitly with subset="
        )
    inside = mask & ~miss
    if not inside.any():
        raise InputError(f"no unit has every variable of {formula!r}; nothing to fit")
    sub = data.loc[inside]
    frame = pd.DataFrame(index=sub.index)
    for key, (col, cat) in model.columns.items():
        s = sub[col]
        if cat or not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype) \
                or isinstance(s.dtype, pd.CategoricalDtype):
            s = _categorical(s)
        frame[key] = s
    X_df = patsy.dmatrix(model.rhs, frame, NA_action="raise", return_type="dataframe")
    X = X_df.to_numpy(dtype=float)
    terms = [_user_name(c, model.names) for c in X_df.columns]
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise InputError(
            f"the model matrix of {formula!r} has {X.shape[1]} columns but rank "
            f"{np.linalg.matrix_rank(X)}: some terms are linear combinations of others (or a "
            f"category is empty in the fitted units); drop or merge terms"
        )
    y = _response(sub[model.response], family, formula)
    # R's svyglm(rescale=TRUE): weights over their mean in the (sub)design
    scale = float(np.mean(design._w[mask]))
    w = design._w[inside] / scale
    beta, eta, working = _fit(y, X, w, fam, family)
    # R's svy.varcoef: estfun = X * working residual * working weight, bread (X' W X)^-1
    resid = (y - fam.link.inverse(eta)) / fam.link.inverse_deriv(eta)
    bread = (X * working[:, None]).T @ X
    infl = np.zeros((len(data), X.shape[1]))
    infl[inside] = np.linalg.solve(bread, (X * (resid * working)[:, None]).T).T

    def reestimate(wr: np.ndarray) -> np.ndarray:
        # R's svyglm.svyrep.design: glm.fit(weights = w / sum(w), start = full coefficients)
        wr = np.asarray(wr, dtype=float)[inside]
        return _fit(y, X, wr / wr.sum(), fam, family, start=beta)[0]

    V = design.variance.covariance(design, infl, inside, reestimate=reestimate)
    se = np.sqrt(np.maximum(np.diag(V), 0.0))
    group = np.where(inside, 0, -1)
    degf = float(design.variance.domain_df(design, group, 1)[0])
    df_resid = degf - X.shape[1] + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    if df_resid > 0:
        p = 2 * stats.t.sf(np.abs(t), df_resid)
        q = stats.t.isf((1 - level) / 2, df_resid)
    else:
        p = np.full_like(t, np.nan)
        q = np.nan
    table = pd.DataFrame({"term": terms, "estimate": beta, "se": se, "t": t, "p_value": p,
                          "ci_low": beta - q * se, "ci_high": beta + q * se, "df": df_resid})
    idx = pd.Index(terms, name="term")
    return GLMResult(formula, family, pd.Series(beta, index=idx, name="estimate"),
                     pd.DataFrame(V, index=idx, columns=idx), float(df_resid), int(inside.sum()),
                     int(miss.sum()), level, table)


def _user_name(column: str, names: dict) -> str:
    """patsy's column name with the safe factor names replaced by the user's terms."""
    for key, code in names.items():
        column = column.replace(key, code)
    return column
