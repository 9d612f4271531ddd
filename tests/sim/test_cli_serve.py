"""``botkit sim``: ports, a taken port as a clean error, nothing left listening."""

import asyncio
import socket

import aiohttp
import pytest
import structlog

from botkit.cli import main
from botkit.core.errors import ConfigError
from botkit.sim.cli_serve import serve_simulators, sim_ports


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_ports_for_each_venue():
    assert sim_ports("all", port=None, syncron_port=None, sintra_port=None) == (8700, 8701)
    assert sim_ports("all", port=None, syncron_port=9100, sintra_port=9101) == (9100, 9101)
    assert sim_ports("syncron", port=9000, syncron_port=None, sintra_port=None) == (9000, None)
    assert sim_ports("sintra", port=None, syncron_port=None, sintra_port=9001) == (None, 9001)
    assert sim_ports("all", port=None, syncron_port=0, sintra_port=0) == (0, 0)


@pytest.mark.parametrize(
    ("venue", "ports", "message"),
    [
        ("all", {"port": 9000}, "--port names one port; with 'all' use --syncron-port and --sintra-port"),
        ("syncron", {"sintra_port": 9000}, "--sintra-port 9000 is for 'botkit sim sintra' or 'botkit sim all'"),
        ("syncron", {"port": 1, "syncron_port": 2}, "--port 1 and --syncron-port 2 both name the syncron port"),
        ("all", {"syncron_port": 9000, "sintra_port": 9000}, "are both 9000"),
        ("sintra", {"sintra_port": 70000}, "--sintra-port must be 0..65535, got 70000"),
    ],
)
def test_port_mistakes_are_config_errors(venue, ports, message):
    given = {"port": None, "syncron_port": None, "sintra_port": None, **ports}
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        sim_ports(venue, **given)


@pytest.mark.parametrize("taken_venue", ["syncron", "sintra"])
def test_sim_all_with_a_taken_port_exits_2_and_leaves_nothing_listening(taken_port, taken_venue, capsys):
    other = free_port()
    ports = {"syncron": other, "sintra": other, taken_venue: taken_port}
    code = main(["sim", "all", "--syncron-port", str(ports["syncron"]), "--sintra-port", str(ports["sintra"])])
    assert code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("botkit: error:")]
    assert errors == [f"botkit: error: the {taken_venue} simulator cannot listen on 127.0.0.1:{taken_port}: the port "
                      f"is already in use; is another `botkit sim` running? choose another with --{taken_venue}-port"]
    assert "Traceback" not in err and "OSError" not in err
    assert not listening(other)


def test_a_single_simulator_on_a_taken_port(taken_port, capsys):
    assert main(["sim", "sintra", "--port", str(taken_port)]) == 2
    assert f"cannot listen on 127.0.0.1:{taken_port}" in capsys.readouterr().err


async def test_both_simulators_serve_until_stopped_then_close():
    stop = asyncio.Event()
    syncron, sintra = free_port(), free_port()
    task = asyncio.create_task(serve_simulators("127.0.0.1", syncron_port=syncron, sintra_port=sintra,
                                                symbols=["SOLUSD"], seed=3, stop=stop))
    for _ in range(250):
        if listening(syncron) and listening(sintra):
            break
        await asyncio.sleep(0.02)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{syncron}/v5/market/instruments") as response:
            assert response.status == 200 and "SOLUSD" in await response.text()
        async with session.get(f"http://127.0.0.1:{sintra}/v1/pairs") as response:
            assert response.status in (200, 401, 403)  # the Sintra simulator answers (auth aside)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert not listening(syncron) and not listening(sintra)
