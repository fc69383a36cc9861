"""Write a generated market as contract CSV files, with the hidden truth in ``truth/``.

Formatting follows the contract: UTF-8 with a header, ``;``-joined lists, ``true``/``false``
flags, naive ISO 8601 local timestamps, plain decimal amounts. Cells are formatted column by
column with numpy's vectorised string functions, chunk by chunk, so millions of events are
written in seconds without holding the whole file as Python strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data.contract import MARKET_FILES, Field

from .truth import save_truth

if TYPE_CHECKING:
    from .market import GeneratedMarket

TRUTH_DIR = "truth"
ROWS_PER_CHUNK = 50_000
# Decimal places per decimal column (amounts and the rest default to two).
_DECIMALS: dict[str, int] = {"dwell_seconds": 0}
# Characters that force a CSV cell into quotes.
_CSV_SPECIAL = (",", '"', "\n", "\r")


def write_market(market: GeneratedMarket, out_dir: Path) -> None:
    """Write investors.csv, packages.csv, events.csv and ``truth/`` into ``out_dir``.

    The directory is created if needed; existing files of the same names are replaced. The
    same market always produces byte-identical files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {"investors.csv": market.investors, "packages.csv": market.packages, "events.csv": market.events}
    for name, fields in MARKET_FILES.items():
        write_table(frames[name], fields, out_dir / name)
    save_truth(market.truth, out_dir / TRUTH_DIR)


def write_table(frame: pd.DataFrame, fields: tuple[Field, ...], path: Path) -> None:
    """Write ``frame``'s contract columns, in contract order, as one CSV file."""
    with open(path, "wb") as out:
        out.write((",".join(f.name for f in fields) + "\n").encode("utf-8"))
        for start in range(0, len(frame), ROWS_PER_CHUNK):
            chunk = frame.iloc[start : start + ROWS_PER_CHUNK]
            cells = [format_column(chunk[f.name], f) for f in fields]
            line = cells[0]
            for cell in cells[1:]:
                line = np.strings.add(np.strings.add(line, b","), cell)
            line = np.strings.add(line, b"\n")
            # ``tolist`` drops the NUL padding of fixed-width byte strings.
            out.write(b"".join(line.tolist()))


def format_column(values: pd.Series, field: Field) -> np.ndarray:
    """The CSV cells of one column as UTF-8 byte strings (blank where the value is missing)."""
    missing = values.isna().to_numpy()
    if field.kind in ("date", "timestamp"):
        cells = _timestamps(values, "D" if field.kind == "date" else "s")
    elif field.kind == "bool":
        cells = np.where(_truthy(values), b"true", b"false")
    elif field.kind == "int":
        cells = _integers(values, missing)
    elif field.kind == "decimal":
        cells = _decimals(values, missing, _DECIMALS.get(field.name, 2))
    else:
        cells = _text(values, missing)
    return np.where(missing, b"", cells)


def _timestamps(values: pd.Series, unit: str) -> np.ndarray:
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[s]")
    return np.datetime_as_string(stamps, unit=unit).astype("S")


def _truthy(values: pd.Series) -> np.ndarray:
    """Booleans of a flag column given as bools or as ``true``/``false`` text."""
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    return values.astype(str).str.strip().str.lower().isin(("true", "1")).to_numpy()


def _integers(values: pd.Series, missing: np.ndarray) -> np.ndarray:
    numbers = pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=0.0)
    return np.where(missing, 0, numbers).astype(np.int64).astype("S")


def _decimals(values: pd.Series, missing: np.ndarray, places: int) -> np.ndarray:
    """Fixed-point decimals without exponent notation, rounded half away from zero."""
    numbers = pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=0.0)
    numbers = np.where(missing, 0.0, numbers)
    scaled = np.rint(np.abs(numbers) * 10**places).astype(np.int64)
    sign = np.where(numbers < 0, b"-", b"")
    whole = (scaled // 10**places).astype("S")
    if places == 0:
        return np.strings.add(sign, whole)
    frac = np.strings.zfill((scaled % 10**places).astype("S"), places)
    return np.strings.add(np.strings.add(np.strings.add(sign, whole), b"."), frac)


def _text(values: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Text cells, quoted (with doubled quotes) when they hold a comma, quote or line break.

    Each distinct value is encoded once: id and enum columns repeat a few values many times.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    strings = [str(u) for u in uniques]
    blob = "".join(strings)
    if blob.isascii() and not any(c in blob for c in _CSV_SPECIAL):
        table = np.array([*strings, ""], dtype="S")
    else:
        table = np.array([*(_csv_cell(t) for t in strings), b""], dtype="S")
    return table[np.where(codes < 0, len(strings), codes)]


def _csv_cell(text: str) -> bytes:
    """One text value as CSV cell bytes."""
    if any(c in text for c in _CSV_SPECIAL):
        text = '"' + text.replace('"', '""') + '"'
    return text.encode("utf-8")
