"""A faithful fake Kingdee K3 Cloud WebAPI: sessions that expire, signed requests, bare 2-D query
arrays, error payloads inside HTTP 200, gateway codes, rate limits, HTTP 5xx, and seeded Chinese data.

In tests, serve it in-process::

    sim = KingdeeSimulator(seed=1, customers=50, orders=200)
    transport = httpx.ASGITransport(app=create_app(sim))   # ConnectorContext(transport=transport)

Standalone: ``python -m connectors.erp.kingdee.simulator --port 9101 --seed 1 --customers 200 --orders 1000``.
"""

from connectors.erp.kingdee.simulator.app import create_app
from connectors.erp.kingdee.simulator.core import KingdeeSimulator
from connectors.erp.kingdee.simulator.gateway import Account, Knobs

__all__ = ["Account", "KingdeeSimulator", "Knobs", "create_app"]
