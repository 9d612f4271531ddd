"""Both documented Basic-auth forms, and what the venue says about missing or wrong keys."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from botkit.core.errors import AuthError, ConfigError
from botkit.sim.sintra import ApiKeyConfig, Plan, SintraSimServer, run_sintra_sim
from botkit.venues.errors import VenueAuthError
from botkit.venues.sintra import AuthForm, SintraCredentials, SintraDataClient

from .helpers import DEMO_TOKEN, client_for, clock_at, roomy_config


def test_the_two_header_forms_match_the_contract() -> None:
    # docs/venues/sintra.md: key abc.s3cret
    whole = SintraCredentials(SecretStr("abc.s3cret"), AuthForm.KEY_AS_USERNAME)
    assert whole.authorization() == "Basic YWJjLnMzY3JldDo="
    split = SintraCredentials("abc.s3cret", AuthForm.ID_AND_TOKEN)
    assert split.authorization() == "Basic YWJjOnMzY3JldA=="
    assert base64.b64decode(split.authorization().split()[1]) == b"abc:s3cret"
    assert whole.key_id == split.key_id == "abc"


@pytest.mark.parametrize("form", list(AuthForm))
async def test_both_forms_reach_the_pro_endpoints(sim: SintraSimServer, form: AuthForm) -> None:
    async with client_for(sim, form=form) as client:
        assert len(await client.list_fee_history(limit=2)) == 2
        assert len(await client.list_price_history("btcusd", limit=2)) == 2
        assert (await client.create_session()).session_id


async def test_a_missing_key_is_api_key_missing(starter: SintraDataClient) -> None:
    with pytest.raises(AuthError) as caught:
        await starter.list_price_history("btcusd")
    error = caught.value
    assert isinstance(error, VenueAuthError)
    assert (error.status, error.error_type, error.code) == (401, "UnauthorizedError", "API_KEY_MISSING")
    assert error.venue_message == "This endpoint requires an API key (Pro plan)"
    assert error.detail.endpoint == "list_price_history"
    assert "BOTKIT_SINTRA__API_KEY" in str(error) and "API_KEY_MISSING" in str(error)


@pytest.mark.parametrize("form", list(AuthForm))
async def test_a_wrong_token_is_api_key_invalid_on_every_endpoint(sim: SintraSimServer, form: AuthForm) -> None:
    async with client_for(sim, key="demo.wrong-token", form=form) as client:
        for call in (client.list_fees(), client.create_session()):
            with pytest.raises(AuthError) as caught:
                await call
            assert isinstance(caught.value, VenueAuthError)
            assert caught.value.code == "API_KEY_INVALID" and caught.value.status == 401


async def test_a_key_without_the_pro_plan_is_refused_with_403() -> None:
    keys = (ApiKeyConfig(id="basic", token=SecretStr("basic-token"), plan=Plan.STARTER),)
    async with (
        run_sintra_sim(roomy_config(keys=keys), clock=clock_at()) as sim,
        client_for(sim, key="basic.basic-token") as client,
    ):
        assert await client.list_fees()  # Starter endpoints work with it
        with pytest.raises(AuthError) as caught:
            await client.list_fee_history()
    assert isinstance(caught.value, VenueAuthError)
    assert (caught.value.status, caught.value.code) == (403, "PLAN_UPGRADE_REQUIRED")


@pytest.mark.parametrize("key", ["no-dot-secret", ".token-only", "id-only."])
def test_a_malformed_key_is_a_config_error_without_the_key(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SintraCredentials(key)
    assert "BOTKIT_SINTRA__API_KEY" in str(caught.value)
    assert key not in str(caught.value)


def test_a_colon_cannot_travel_in_a_username() -> None:
    with pytest.raises(ConfigError, match="contains ':'"):
        SintraCredentials("abc.to:ken", AuthForm.KEY_AS_USERNAME)
    assert SintraCredentials("abc.to:ken", AuthForm.ID_AND_TOKEN).authorization()


def test_redact_scrubs_the_token_and_the_header() -> None:
    credentials = SintraCredentials(f"demo.{DEMO_TOKEN}")
    header = credentials.authorization()
    text = f"token={DEMO_TOKEN} header={header} b64={header.split()[1]}"
    assert DEMO_TOKEN not in credentials.redact(text)
    assert header.split()[1] not in credentials.redact(text)
    assert "demo" in repr(credentials) and DEMO_TOKEN not in repr(credentials)
