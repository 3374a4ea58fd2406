"""The auxiliary matrix X of a calibration, held in blocks (O(n) memory for 1e6 rows).

A calibration to categorical margins has one indicator column per margin level:
two margins of 100 levels on 1e6 rows would be a dense 1e6 x 200 matrix (1.6 GB).
:class:`AuxiliaryMatrix` keeps each categorical margin as one integer code per
unit and each numeric auxiliary as a column, and computes the only products the
calibration solver and the calibrated variance need:

* ``X @ b`` (:meth:`~AuxiliaryMatrix.matmat`), ``X' V`` (:meth:`~AuxiliaryMatrix.rmatmat`);
* the weighted Gram matrix ``X' diag(v) X`` (:meth:`~AuxiliaryMatrix.gram`), by
  ``np.bincount`` over pairs of codes.

It is a plain numeric object (no labels, no pandas), so that a replicate-weight
method can replay a calibration on any weight vector with
:func:`surveyweights.weighting.calibration.calibration_factors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["AuxiliaryMatrix", "CategoricalBlock", "NumericBlock"]


@dataclass(frozen=True)
class CategoricalBlock:
    """Indicator columns of one categorical margin: unit i has a 1 in column ``codes[i]``."""

    codes: np.ndarray
    n_levels: int

    @property
    def width(self) -> int:
        return self.n_levels


@dataclass(frozen=True)
class NumericBlock:
    """Dense numeric columns, shape (n, q)."""

    values: np.ndarray

    @property
    def width(self) -> int:
        return self.values.shape[1]


@dataclass(frozen=True)
class AuxiliaryMatrix:
    """An n x p auxiliary matrix made of categorical and numeric blocks.

    Parameters
    ----------
    blocks : tuple of CategoricalBlock or NumericBlock
        The column blocks, in column order.
    n : int
        Number of rows (units).

    Examples
    --------
    >>> import numpy as np
    >>> X = AuxiliaryMatrix.from_blocks([CategoricalBlock(np.array([0, 1, 1]), 2),
    ...                                  NumericBlock(np.array([[1.0], [2.0], [4.0]]))])
    >>> X.dense().tolist()
    [[1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]
    >>> X.rmatvec(np.ones(3)).tolist()
    [1.0, 2.0, 7.0]
    """

    blocks: tuple
    n: int
    offsets: tuple[int, ...] = field(init=False, repr=False)
    p: int = field(init=False)
    _pairs: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        offs, p = [], 0
        for b in self.blocks:
            offs.append(p)
            p += b.width
        object.__setattr__(self, "offsets", tuple(offs))
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "_pairs", {})

    def _pair_codes(self, i: int, j: int) -> np.ndarray:
        """The cell of each unit in the cross of categorical blocks i and j (cached)."""
        key = (i, j)
        if key not in self._pairs:
            a, b = self.blocks[i], self.blocks[j]
            self._pairs[key] = a.codes.astype(np.int64) * b.n_levels + b.codes
        return self._pairs[key]

    @classmethod
    def from_blocks(cls, blocks) -> AuxiliaryMatrix:
        blocks = tuple(blocks)
        n = len(blocks[0].codes) if isinstance(blocks[0], CategoricalBlock) else blocks[0].values.shape[0]
        return cls(blocks, n)

    @classmethod
    def from_dense(cls, X: np.ndarray) -> AuxiliaryMatrix:
        """Wrap a dense (n, p) array as one numeric block."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        return cls((NumericBlock(np.ascontiguousarray(X)),), X.shape[0])

    # ---------------------------------------------------------------- products
    def matmat(self, B: np.ndarray) -> np.ndarray:
        """X @ B for B of shape (p, K); returns (n, K)."""
        B = np.asarray(B, dtype=float)
        out = np.zeros((self.n, B.shape[1]))
        for blk, off in zip(self.blocks, self.offsets):
            part = B[off:off + blk.width]
            if isinstance(blk, CategoricalBlock):
                if np.any(part):
                    out += part[blk.codes]
            else:
                out += blk.values @ part
        return out

    def matvec(self, b: np.ndarray) -> np.ndarray:
        """X @ b for b of shape (p,); returns (n,)."""
        b = np.asarray(b, dtype=float)
        out = np.zeros(self.n)
        for blk, off in zip(self.blocks, self.offsets):
            part = b[off:off + blk.width]
            if isinstance(blk, CategoricalBlock):
                out += part[blk.codes]
            else:
                out += blk.values @ part
        return out

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        """X' v for v of shape (n,); returns (p,)."""
        out = np.empty(self.p)
        for blk, off in zip(self.blocks, self.offsets):
            if isinstance(blk, CategoricalBlock):
                out[off:off + blk.width] = np.bincount(blk.codes, weights=v, minlength=blk.n_levels)
            else:
                out[off:off + blk.width] = blk.values.T @ v
        return out

    def rmatmat(self, V: np.ndarray) -> np.ndarray:
        """X' V for V of shape (n, K); returns (p, K)."""
        V = np.asarray(V, dtype=float)
        out = np.empty((self.p, V.shape[1]))
        for blk, off in zip(self.blocks, self.offsets):
            if isinstance(blk, CategoricalBlock):
                for k in range(V.shape[1]):
                    out[off:off + blk.width, k] = np.bincount(blk.codes, weights=V[:, k],
                                                              minlength=blk.n_levels)
            else:
                out[off:off + blk.width] = blk.values.T @ V
        return out

    def gram(self, v: np.ndarray) -> np.ndarray:
        """X' diag(v) X, shape (p, p)."""
        M = np.empty((self.p, self.p))
        blocks = list(zip(self.blocks, self.offsets))
        for i, (a, oa) in enumerate(blocks):
            for j in range(i, len(blocks)):
                b, ob = blocks[j]
                if i != j and isinstance(a, CategoricalBlock) and isinstance(b, CategoricalBlock):
                    blk = np.bincount(self._pair_codes(i, j), weights=v,
                                      minlength=a.n_levels * b.n_levels).reshape(a.n_levels, b.n_levels)
                else:
                    blk = _cross(a, b, v)
                M[oa:oa + a.width, ob:ob + b.width] = blk
                M[ob:ob + b.width, oa:oa + a.width] = blk.T
        return M

    def dense(self) -> np.ndarray:
        """The full (n, p) matrix (for small problems and tests)."""
        return self.matmat(np.eye(self.p))

    def take(self, rows: np.ndarray) -> AuxiliaryMatrix:
        """The rows ``rows`` (an index or boolean mask) of X."""
        blocks = []
        for blk in self.blocks:
            if isinstance(blk, CategoricalBlock):
                blocks.append(CategoricalBlock(blk.codes[rows], blk.n_levels))
            else:
                blocks.append(NumericBlock(blk.values[rows]))
        return AuxiliaryMatrix.from_blocks(blocks)


def _cross(a, b, v: np.ndarray) -> np.ndarray:
    """The (a.width, b.width) block of X' diag(v) X between two column blocks."""
    ca, cb = isinstance(a, CategoricalBlock), isinstance(b, CategoricalBlock)
    if ca and cb:
        if a is b:
            return np.diag(np.bincount(a.codes, weights=v, minlength=a.n_levels))
        pair = a.codes.astype(np.int64) * b.n_levels + b.codes
        return np.bincount(pair, weights=v, minlength=a.n_levels * b.n_levels).reshape(
            a.n_levels, b.n_levels)
    if ca:
        return np.column_stack([np.bincount(a.codes, weights=v * b.values[:, j], minlength=a.n_levels)
                                for j in range(b.width)]) if b.width else np.zeros((a.n_levels, 0))
    if cb:
        return _cross(b, a, v).T
    return (a.values * v[:, None]).T @ b.values
