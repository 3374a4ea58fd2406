"""Writing a replicate design to a file and reading it back, with its method and scale.

:func:`write_replicate_design` writes the data, the full-sample weights and the
analysis replicate weights in one table (CSV or Parquet) and records how to
use them -- the replicate method, scale, rscales, ``mse`` and Fay's rho -- next
to them: in the Parquet file's metadata, or in a JSON file beside a CSV
(``survey.csv`` -> ``survey.csv.json``).  :func:`read_replicate_design` builds the
same design again (R users: ``svrepdesign(data=..., repweights=...,
type=..., scale=..., rscales=..., mse=...)`` with the recorded values).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..engines.base import require_memory
from ..errors import InputError
from ..variance.replicate import ReplicateWeights, UnitWeights
from .design import Design, require_design

__all__ = ["read_replicate_design", "write_replicate_design"]

_FORMATS = ("csv", "parquet")
_KEY = "surveyweights.replicate_design"


def _format(path: Path, format: str | None) -> str:
    if format is None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in _FORMATS:
            raise InputError(
                f"cannot tell the format of {str(path)!r} from its suffix; name it .csv or "
                f".parquet, or pass format='csv' or 'parquet'"
            )
        return suffix
    if format not in _FORMATS:
        raise InputError(f"format={format!r} is not supported; use one of {list(_FORMATS)}")
    return format


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def write_replicate_design(
    design: Design,
    path: str | Path,
    *,
    format: str | None = None,
    weight_name: str | None = None,
    prefix: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write data, weights and analysis replicate weights of a replicate design to one file.

    Parameters
    ----------
    design : Design
        A design with replicate weights (from :func:`~surveyweights.replicate` or
        read from a file).
    path : str or Path
        ``.csv`` or ``.parquet``.
    format : {"csv", "parquet"}, optional, keyword-only
        Default: from the suffix.  Parquet needs ``pyarrow``
        (``pip install surveyweights[parquet]``).
    weight_name : str, optional, keyword-only
        Column name of the full-sample weights (default: the design's weight name).
    prefix : str, optional, keyword-only
        Name the replicate columns ``prefix1..prefixR`` (default: the design's
        replicate names, ``rep1..repR`` for replicates built from a design).
    overwrite : bool, default False, keyword-only
        Replace an existing file (and its JSON sidecar).

    Returns
    -------
    Path
        The file written.  For CSV the method, scale, rscales, mse and rho are in
        ``<path>.json``; for Parquet in the file's key-value metadata.

    Raises
    ------
    InputError
        Not a replicate design, an existing file without ``overwrite=True``, a
        replicate column name that is already a data column, unknown format, or
        Parquet without pyarrow.

    Examples
    --------
    >>> import tempfile, pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 9]})
    >>> r = sw.replicate(sw.Design(df, ids="psu"), method="jk1")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = sw.write_replicate_design(r, tmp + "/survey.csv")
    ...     back = sw.read_replicate_design(path)
    >>> float(sw.mean(back, "y").se.iloc[0]) == float(sw.mean(r, "y").se.iloc[0])
    True
    """
    require_design(design)
    require_memory(design, "sw.write_replicate_design (it writes the unit rows to a file)",
                   alternatives="DuckDB's own COPY ... TO of the source for the data, or ")
    v = design.variance
    if not isinstance(v, ReplicateWeights):
        raise InputError(
            "the design has no replicate weights to write; build them with "
            "sw.replicate(design, method=...) first"
        )
    if getattr(design, "_sql", None) is not None:
        from ..engines.base import not_on_engine

        raise not_on_engine(design, "write_replicate_design (it writes every unit's row and "
                                    "replicate weights)")
    path = Path(path)
    fmt = _format(path, format)
    targets = [path] + ([_sidecar(path)] if fmt == "csv" else [])
    for t in targets:
        if t.exists() and not overwrite:
            raise InputError(
                f"{str(t)!r} exists; pass overwrite=True to replace it, or choose another path"
            )
    names = list(v.names) if prefix is None else [f"{prefix}{i + 1}" for i in range(v.n_replicates)]
    wname = weight_name or str(design.weights.name or "weight")
    data = design.data
    keep = [c for c in data.columns if c not in set(names) | {wname}]
    dropped = [c for c in data.columns if c in set(names) | {wname}]
    # a data column may share a name only with what it holds: the weights read from it
    own = set()
    if isinstance(design.weights.name, str) and design.weights.name == wname:
        own.add(wname)
    if isinstance(v.structure, UnitWeights) and prefix is None:
        own |= set(v.names)
    clash = [c for c in dropped if c not in own]
    if clash:
        raise InputError(
            f"column(s) {clash} of the data would be overwritten by the weights; pass "
            f"prefix= (replicate columns) or weight_name= to name them otherwise"
        )
    out = data[keep].copy()
    out[wname] = design.weights.to_numpy()
    rep = pd.DataFrame(v.analysis_weights(design), index=data.index, columns=names)
    out = pd.concat([out, rep], axis=1)
    meta = {
        "format": _KEY,
        "version": 1,
        "weights": wname,
        "replicate_weights": names,
        "replicate_method": v.type,
        "scale": float(v.scale),
        "rscales": [float(x) for x in v.rscales],
        "mse": bool(v.mse),
        "rho": v.rho,
        "combined_weights": True,
        "degf": int(design.degf),
        "history": list(v.history),
    }
    if fmt == "csv":
        out.to_csv(path, index=False)
        _sidecar(path).write_text(json.dumps(meta, indent=1))
    else:
        pa, pq = _pyarrow()
        table = pa.Table.from_pandas(out, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _KEY.encode(): json.dumps(meta).encode()})
        pq.write_table(table, path)
    return path


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "Parquet needs the pyarrow package; install it with pip install "
            "'surveyweights[parquet]', or write CSV"
        ) from None
    return pa, pq


def read_replicate_design(path: str | Path, *, format: str | None = None) -> Design:
    """Read a file written by :func:`write_replicate_design` back into a replicate design.

    Parameters
    ----------
    path : str or Path
    format : {"csv", "parquet"}, optional, keyword-only

    Returns
    -------
    Design
        ``Design(data, weights=..., replicate_weights=[...], replicate_method=...,
        scale=..., rscales=..., mse=..., rho=...)`` with the recorded values; CSV
        numbers are read back exactly (pandas parses floats to the nearest double).

    Raises
    ------
    InputError
        A missing file or sidecar, or metadata that was not written by
        :func:`write_replicate_design`.
    """
    path = Path(path)
    fmt = _format(path, format)
    if not path.exists():
        raise InputError(f"{str(path)!r} does not exist")
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a folder; give the path of the file "
                         f"write_replicate_design wrote")
    if fmt == "csv":
        side = _sidecar(path)
        if not side.exists():
            raise InputError(
                f"{str(side)!r} (the method and scale of {path.name}) does not exist; a CSV "
                f"written by write_replicate_design has it beside it"
            )
        try:
            raw = side.read_text(encoding="utf-8")
            data = pd.read_csv(path)
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
            raise InputError(
                f"{str(path)!r} cannot be read as a CSV written by write_replicate_design "
                f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); "
                f"write it again with sw.write_replicate_design"
            ) from None
    else:
        pa, pq = _pyarrow()
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(
                f"{str(path)!r} cannot be read as Parquet ({str(exc).strip().splitlines()[0]}); "
                f"give a file written by write_replicate_design, or format='csv' for a CSV"
            ) from None
        raw = (table.schema.metadata or {}).get(_KEY.encode())
        if raw is None:
            raise InputError(
                f"{str(path)!r} has no surveyweights replicate metadata; read it with pandas "
                f"and build sw.Design(..., replicate_weights=...) yourself"
            )
        data = table.to_pandas()
    meta = _metadata(raw, path)
    return Design(data, weights=meta["weights"], replicate_weights=list(meta["replicate_weights"]),
                  replicate_method=meta["replicate_method"], scale=meta["scale"],
                  rscales=np.asarray(meta["rscales"], dtype=float), mse=meta["mse"],
                  rho=meta.get("rho"))


_META_KEYS = ("weights", "replicate_weights", "replicate_method", "scale", "rscales", "mse")


def _metadata(raw: str | bytes, path: Path) -> dict:
    """The replicate metadata, checked: JSON written by :func:`write_replicate_design`."""
    try:
        meta = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != _KEY:
        raise InputError(f"the metadata of {str(path)!r} was not written by write_replicate_design; "
                         f"write the design again with sw.write_replicate_design")
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        raise InputError(f"the metadata of {str(path)!r} lacks {missing}; write the design again "
                         f"with sw.write_replicate_design")
    reps, rscales = meta["replicate_weights"], meta["rscales"]
    if not (isinstance(reps, list) and isinstance(rscales, list)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rscales)):
        raise InputError(f"the metadata of {str(path)!r} has replicate_weights or rscales that are "
                         f"not lists (of names, of numbers); write the design again with "
                         f"sw.write_replicate_design")
    return meta

