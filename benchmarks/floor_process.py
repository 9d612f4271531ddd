"""The floor process: what any cold backtest process on this archive must pay, and nothing more.

``python -m benchmarks.floor_process ARCHIVE_DIR`` starts the interpreter, imports numpy, pandas,
pyarrow and numba, loads the fused SMA 10/50 loop from numba's cache (``benchmarks/floor.py``), reads
every Parquet day file of the archive's bars in one pyarrow scan (all columns, in day order) and runs the
loop; it prints the final equity. ``python -m botkit.cli backtest`` on the same archive is
measured against it as a whole process (``benchmarks/cold_process.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numba  # noqa: F401 - part of the floor: every compiled backtest imports it
import numpy as np
import pandas  # noqa: F401 - part of the floor, as the issue defines it
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.floor import sma_cross_floor_nb


def read_bars(kind_dir: Path) -> dict[str, np.ndarray]:
    """Every day file under ``kind_dir`` (sorted by name, i.e. by day) as contiguous columns."""
    files = sorted(str(p) for p in kind_dir.iterdir() if p.suffix == ".parquet")
    table = pq.read_table(files)  # one multithreaded scan, rows in file order
    ts = table.column("ts").cast(pa.int64()).to_numpy()
    columns = {name: table.column(name).to_numpy() for name in ("open", "high", "low", "close", "volume")}
    return {"ts": ts, **columns}


def main() -> None:
    """Run the floor on the archive directory given (the directory holding the bars' day files)."""
    kind_dir = Path(sys.argv[1])
    bars = read_bars(kind_dir)
    n = len(bars["ts"])
    equity = np.empty(n)
    fill_ts = np.empty(n, np.int64)
    fill_side = np.empty(n, np.int8)
    fill_price = np.empty(n)
    final, fills = sma_cross_floor_nb(bars["open"], bars["close"], bars["ts"], 10, 50, 1.0, 100_000.0, equity,
                                      fill_ts, fill_side, fill_price)
    print(f"final_equity {final!r} fills {fills}")


if __name__ == "__main__":
    main()
