"""A faithful, fast, deterministic simulator of the KorusTicket API.

``Simulator(SimConfig(...))`` builds a seeded account; ``sim.wsgi`` serves it in-process
(``httpx.WSGITransport``) and ``serve(sim)`` on a real loopback socket. Ground truth and
mutations are methods of the simulator and routes under ``/_sim/``; ``Faults`` sets opt-in
failure rates and ``sim.inject`` targets the next requests.
"""

from korsync.fake_api.config import SimConfig
from korsync.fake_api.faults import FAULT_KINDS, Faults
from korsync.fake_api.server import serve
from korsync.fake_api.simulator import Simulator

__all__ = ["FAULT_KINDS", "Faults", "SimConfig", "Simulator", "serve"]
