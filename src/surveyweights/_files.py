"""Reading and writing users' files safely: clear errors, text codes, no lost input.

Private helpers shared by :mod:`surveyweights.cli` and the file readers of the
library (``PopulationFrame.read_csv``):

* :func:`read_csv` reads every column as text (``007`` stays ``007``, ``NA``
  stays ``NA``) and turns every failure of pandas or the operating system into an
  :class:`~surveyweights.errors.InputError` that names the file and the fix
  (``encoding=``, ``sep=``);
* :func:`check_outputs` refuses an output that is one of the inputs (after
  resolving links) or that exists, unless forced;
* :func:`atomic_write` writes through a temporary file in the same folder and
  renames it into place, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path

import pandas as pd

from .errors import InputError

_OTHER_SEPS = (";", "\t", "|", ",")


def _name(path: str | PathLike[str]) -> str:
    return repr(str(path))


def read_csv(
    path: str | PathLike[str],
    *,
    what: str = "file",
    sep: str = ",",
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Every column as text; empty cells are empty strings, nothing else is missing.

    Raises :class:`InputError` for a missing file, a folder, an unreadable file, a
    file that is not ``encoding``, an empty file, a CSV that does not parse with
    ``sep``, one that looks separated by another character, and duplicate column
    names (which pandas would silently rename to ``x.1``).
    """
    p = Path(path)
    name = f"{what} {_name(path)}"
    if not p.exists():
        raise InputError(f"{name} does not exist; check the path")
    if p.is_dir():
        raise InputError(f"{name} is a folder, not a file; give the path of a CSV file")
    try:
        with open(p, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"{name} cannot be read ({exc.strerror or exc}); check its permissions") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1]
        raise InputError(
            f"{name} is not valid {encoding} text (byte 0x{bad.hex()} at position {exc.start}); "
            f"pass the file's encoding, e.g. encoding='latin-1' (command line: --encoding latin-1)"
        ) from None
    except LookupError:
        raise InputError(f"encoding={encoding!r} is not a known text encoding; use e.g. 'utf-8' "
                         f"or 'latin-1'") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(f"{name} is empty; it needs a header line with the column names and "
                         f"one line per row")
    if not isinstance(sep, str) or len(sep) != 1:
        raise InputError(f"sep={sep!r} must be one character, e.g. ',' or ';'")
    header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    seen: set[str] = set()
    dupes = sorted({h for h in header if h in seen or seen.add(h)})
    if dupes:
        raise InputError(
            f"{name} has duplicate column names {dupes}; give every column a unique name "
            f"in the header line"
        )
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                         na_values=[])
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise InputError(
            f"{name} cannot be read as CSV with sep={sep!r} ({str(exc).strip().splitlines()[0]}); "
            f"check the separator (sep=, command line --sep) and the quoting"
        ) from None
    if df.shape[1] == 1:
        col = str(df.columns[0])
        other = [s for s in _OTHER_SEPS if s != sep and s in col]
        if other:
            raise InputError(
                f"{name} has a single column {col!r} when read with sep={sep!r}; it looks "
                f"separated by {other[0]!r}: pass sep={other[0]!r} (command line --sep "
                f"{other[0]!r})"
            )
    return df


def same_file(a: str | PathLike[str], b: str | PathLike[str]) -> bool:
    """Whether two paths are the same file after resolving links (hard links too)."""
    pa, pb = Path(a), Path(b)
    if pa.resolve() == pb.resolve():
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(pa, pb)
    return False


def check_outputs(
    outputs: Iterable[str | PathLike[str]],
    inputs: Iterable[tuple[str, str | PathLike[str]]],
    *,
    force: bool,
    folder_ok: bool = False,
) -> None:
    """Refuse outputs that are inputs, sit in a missing folder, or exist (unless forced).

    ``inputs`` are ``(option name, path)`` pairs, to name the clash in the message.
    An output that is an input is refused even with ``force``.
    """
    inputs = [(opt, Path(p)) for opt, p in inputs]
    for out in outputs:
        o = Path(out)
        for opt, p in inputs:
            if same_file(o, p):
                raise InputError(
                    f"output {_name(out)} is the input file given as {opt} {_name(p)}; "
                    f"writing it would destroy the input: choose another output path"
                )
        parent = o.resolve().parent
        if not parent.is_dir():
            raise InputError(
                f"output folder {_name(o.parent)} does not exist; create it first or choose "
                f"another output path"
            )
        if o.is_dir() and not folder_ok:
            raise InputError(f"output {_name(out)} is a folder; give a file name")
        if o.exists() and not force and not (o.is_dir() and not any(o.iterdir())):
            kind = "folder" if o.is_dir() else "file"
            raise InputError(
                f"output {kind} {_name(out)} already exists; pass --force to overwrite it, or "
                f"choose another output path"
            )


def atomic_write(path: str | PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    The rename is atomic on one file system: readers see the old file or the new
    one, never a half-written one, and a failure removes the temporary file.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    return target
