"""The peer's cold process: vectorbt on the same archive and strategy, as a user would run it.

``python -m benchmarks.vectorbt_process ARCHIVE_KIND_DIR`` imports vectorbt, reads the archive's
Parquet day files with pyarrow, runs SMA 10/50 with next-open fills (signals shifted one bar,
filled at the open) and computes the portfolio's stats, as ``botkit backtest`` prints its own;
it prints the final value. Needs the ``bench`` extra.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import vectorbt as vbt


def main() -> None:
    """Run the peer on the archive directory given."""
    kind_dir = Path(sys.argv[1])
    files = sorted(str(p) for p in kind_dir.iterdir() if p.suffix == ".parquet")
    frame = pq.read_table(files).to_pandas()
    close = pd.Series(frame["close"].to_numpy())
    open_ = pd.Series(frame["open"].to_numpy())
    fast = vbt.MA.run(close, 10)
    slow = vbt.MA.run(close, 50)
    entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
    exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, size=1.0, init_cash=100_000.0)
    stats = pf.stats(silence_warnings=True)
    print(f"final_value {pf.final_value()!r} trades {int(stats['Total Trades'])}")


if __name__ == "__main__":
    main()
