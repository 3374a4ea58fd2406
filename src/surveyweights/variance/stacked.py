"""The variance of independent samples stacked into one design: the sum of their variances.

:func:`surveyweights.stack` builds one design from independent samples (survey
waves).  When every sample uses the plain Taylor (or multistage) method, the
stacked design's own strata give the right variance directly.  When a sample has
another method -- calibration residuals, replicate weights -- this method keeps
each sample's own: the scores (and re-estimates) of a sample's rows go to that
sample's design, and the variances add up, because the samples are independent
(Var(sum_s t_s) = sum_s Var(t_s)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import DomainVariance, Reestimate

__all__ = ["StackedVariance"]


@dataclass(frozen=True)
class StackedVariance:
    """Sum of the variances of independent samples, each by its own design's method.

    Attributes
    ----------
    designs : tuple of Design
        The samples, in the order of the stacked design's rows.
    rows : tuple of (start, stop)
        Which rows of the stacked design belong to each sample.
    """

    designs: tuple
    rows: tuple
    name: str = "stacked"

    def _pieces(self, stacked, reestimate: Reestimate | None):
        for d, (a, b) in zip(self.designs, self.rows):
            if reestimate is None:
                yield d, slice(a, b), None
                continue

            def part(w_sample: np.ndarray, a=a, b=b) -> np.ndarray:
                w = stacked._w.copy()
                w[a:b] = w_sample
                return reestimate(w)

            yield d, slice(a, b), part

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        z = np.asarray(scores, dtype=float)
        group = np.asarray(group)
        if len(z) != len(group):  # only the rows inside a domain were given
            full = np.zeros((len(group),) + z.shape[1:])
            full[index.keep] = z
            z = full
        total = None
        for d, rows, part in self._pieces(design, reestimate):
            v = d.variance.variance(d, z[rows], group[rows], n_groups, reestimate=part).variance
            total = v if total is None else total + v
        return DomainVariance(variance=total)

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        z = np.asarray(scores, dtype=float)
        inside = np.asarray(inside, dtype=bool)
        total = None
        for d, rows, part in self._pieces(design, reestimate):
            c = d.variance.covariance(d, z[rows], inside[rows], reestimate=part)
            total = c if total is None else total + c
        return total

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        group = np.asarray(group)
        return sum(d.variance.domain_df(d, group[slice(a, b)], n_groups)
                   for d, (a, b) in zip(self.designs, self.rows))

    def degf(self, design) -> int:
        return int(sum(d.degf for d in self.designs))
