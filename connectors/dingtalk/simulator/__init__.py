"""A faithful fake DingTalk: both API hosts in one app, both token generations that expire (early on demand),
errors inside HTTP 200 bodies (errcode 88 + sub_code), throttling and quota codes, nextToken cursors,
seeded approval instances with Chinese contract data, a signature-checking custom robot, work
notifications, to-dos, approval creation, and encrypted event callbacks sent to a hub.

In tests, serve it in-process::

    sim = DingTalkSimulator(seed=1, contracts=40)
    transport = httpx.ASGITransport(app=sim.app)      # ConnectorContext(transport=transport)

Standalone: ``python -m connectors.dingtalk.simulator --port 9104``.
"""

from connectors.dingtalk.simulator.app import create_app
from connectors.dingtalk.simulator.callbacks import CallbackDelivery, is_success_reply, seal_event, send_callback
from connectors.dingtalk.simulator.core import DingTalkSimulator
from connectors.dingtalk.simulator.data import CONTRACT_CODE, LEAVE_CODE, REFERENCE_FIELD, union_id
from connectors.dingtalk.simulator.gateway import Account, Knobs

__all__ = [
    "CONTRACT_CODE",
    "LEAVE_CODE",
    "REFERENCE_FIELD",
    "Account",
    "CallbackDelivery",
    "DingTalkSimulator",
    "Knobs",
    "create_app",
    "is_success_reply",
    "seal_event",
    "send_callback",
    "union_id",
]
