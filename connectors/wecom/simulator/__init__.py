"""A faithful fake WeCom server API: tokens that expire (early too), errors inside HTTP 200 bodies,
45009 rate limits, 60020 IP allow-list refusals, -1 busy answers, cursors for batch/get_by_user and
getapprovalinfo, seeded Chinese contacts and approvals, recorded messages, applyevent, and
encrypted callbacks sent to a hub.

In tests, serve it in-process::

    sim = WeComSimulator(seed=7, contacts=60, approvals=40)
    transport = httpx.ASGITransport(app=sim.app)          # ConnectorContext(transport=transport)
    await sim.send_callback("http://hub.test/callbacks/wecom/wecom-main", event, transport=hub_transport)

Standalone: ``python -m connectors.wecom.simulator --port 9103``.
"""

from connectors.wecom.simulator.app import create_app
from connectors.wecom.simulator.callbacks import event_xml, send_callback, verify_url
from connectors.wecom.simulator.seed import CONTRACT_TEMPLATE, LEAVE_TEMPLATE
from connectors.wecom.simulator.state import Account, Knobs, WeComSimulator

__all__ = ["CONTRACT_TEMPLATE", "LEAVE_TEMPLATE", "Account", "Knobs", "WeComSimulator", "create_app", "event_xml",
           "send_callback", "verify_url"]
