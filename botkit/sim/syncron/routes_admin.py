"""Simulator-only admin routes: fault switches and dropping WebSocket connections."""

from __future__ import annotations

import structlog

from botkit.sim.syncron.config import FaultConfig
from botkit.sim.syncron.params import FaultPatch
from botkit.sim.syncron.routing import Call, Route
from botkit.sim.syncron.schemas import DroppedOut

log = structlog.get_logger("botkit.sim.syncron")


async def get_faults(call: Call) -> object:
    """The current fault switches."""
    return call.ctx.faults.config.model_dump(mode="json")


async def set_faults(call: Call) -> object:
    """Change some fault switches; the others keep their values."""
    patch = call.body(FaultPatch).model_dump(exclude_unset=True)
    config = call.ctx.faults.update(patch)
    log.info("sim.faults.updated", **patch)
    return config.model_dump(mode="json")


async def reset_faults(call: Call) -> object:
    """Turn every fault switch off."""
    log.info("sim.faults.reset")
    return call.ctx.faults.reset().model_dump(mode="json")


async def drop_websockets(call: Call) -> object:
    """Cut every WebSocket connection now."""
    dropped = call.ctx.hub.drop_all()
    log.info("sim.fault.ws_drop_all", dropped=dropped)
    return DroppedOut(dropped=dropped).wire()


ADMIN_ROUTES = (
    Route(
        "GET",
        "/_sim/faults",
        get_faults,
        "Current fault switches",
        "admin",
        "simulator",
        response=FaultConfig,
    ),
    Route(
        "POST",
        "/_sim/faults",
        set_faults,
        "Change fault switches",
        "admin",
        "simulator",
        body=FaultPatch,
        response=FaultConfig,
    ),
    Route(
        "POST",
        "/_sim/faults/reset",
        reset_faults,
        "Turn all faults off",
        "admin",
        "simulator",
        response=FaultConfig,
    ),
    Route(
        "POST",
        "/_sim/ws/drop",
        drop_websockets,
        "Cut every WebSocket connection",
        "admin",
        "simulator",
        response=DroppedOut,
    ),
)
"""Admin routes of the simulator (absent on the real venue)."""
