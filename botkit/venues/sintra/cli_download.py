"""``botkit data download sintra``: the history downloader with a rich progress bar and an ETA."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from botkit.venues.sintra.config import SintraSettings
from botkit.venues.sintra.data import SintraDataClient
from botkit.venues.sintra.download import DownloadProgress, download_history

LOCAL_DEMO_KEY = "demo.sintra-sim-demo-token"
"""The local simulator's documented demo Pro key (docs/venues/sintra.md); used only for ``local``."""


def settings_for(endpoint: str | None) -> SintraSettings:
    """Settings from the environment, with ``--endpoint`` applied; the local simulator needs no key."""
    settings = SintraSettings() if endpoint is None else SintraSettings(endpoint=endpoint)
    if settings.endpoint == "local" and settings.api_key is None:
        settings = settings.model_copy(update={"api_key": SecretStr(LOCAL_DEMO_KEY), "plan": None})
    return settings


def run_download_command(
    *, pair: str, interval: str, since: str, until: str | None, out: Path, endpoint: str | None, progress: bool
) -> int:
    """Download ``pair`` history into the archive at ``out``; prints a summary with gaps."""
    console = Console()
    settings = settings_for(endpoint)

    async def run() -> None:
        with Progress(
            TextColumn("[bold]sintra {task.fields[pair]} {task.fields[interval]}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} pages"), TextColumn("ETA {task.fields[eta]}"),
            console=console, disable=not progress, transient=True,
        ) as bar:
            task = bar.add_task("download", total=None, pair=pair, interval=interval, eta="?")

            def update(p: DownloadProgress) -> None:
                bar.update(task, completed=p.done, total=p.total, eta=_eta(p.eta_s))

            async with SintraDataClient(settings) as client:
                summary = await download_history(
                    client, out, pair, interval, since=since, until=until, progress=update
                )
        console.print(
            f"{summary.symbol} {summary.kind}: {summary.bars_written:,} bars written, "
            f"{summary.bars_stored:,} stored, {summary.pages} pages, {len(summary.gaps)} gaps"
        )
        for gap in summary.gaps[:20]:
            console.print(f"  gap: {gap}")

    asyncio.run(run())
    return 0


def _eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
