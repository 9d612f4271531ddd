"""The public API of the Sintra client is exactly ``__all__``."""

import botkit.venues.sintra as sintra


def test_public_api_is_exactly_all() -> None:
    assert sorted(sintra.__all__) == [
        "AuthForm",
        "DownloadProgress",
        "DownloadSummary",
        "Exchange",
        "FeeLevel",
        "FeeSnapshot",
        "Gap",
        "Pair",
        "PairStats",
        "PriceBoard",
        "ProgressCallback",
        "Session",
        "SintraCredentials",
        "SintraDataClient",
        "SintraPlan",
        "SintraPriceStream",
        "SintraSettings",
        "StreamStats",
        "WsEventError",
        "download_history",
    ]
    for name in sintra.__all__:
        assert getattr(sintra, name) is not None
    public = {name for name in vars(sintra) if not name.startswith("_")}
    assert public - set(sintra.__all__) <= {
        "auth",
        "config",
        "data",
        "download",
        "errors",
        "params",
        "parse",
        "results",
        "stream",
        "wire",
    }
