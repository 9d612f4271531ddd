"""A bot process for the shared-budget test: N concurrent requests through a machine-wide budget.

Run as ``python budget_worker.py <rest_url> <budget_dir> <limit> <window_s> <requests>``; prints
how many requests succeeded. Imports only botkit (it runs outside pytest).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import structlog

from botkit.venues.syncron import SyncronRestClient, SyncronSettings


async def main(url: str, directory: str, limit: int, window_s: float, requests: int) -> None:
    settings = SyncronSettings(endpoint=url, rate_budget="machine", rate_budget_dir=Path(directory),
                               rate_limit=limit, rate_window_s=window_s)
    client = SyncronRestClient(settings)
    results = await asyncio.gather(*(client.ticker("BTCUSD") for _ in range(requests)))
    await client.close()
    print(len(results))


if __name__ == "__main__":
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    url, directory, limit, window_s, requests = sys.argv[1:6]
    asyncio.run(main(url, directory, int(limit), float(window_s), int(requests)))
