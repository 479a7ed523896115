"""A faithful fake of the Yonyou YonBIP open API, for tests, ``hub demo`` and trying the hub out.

In-process (tests)::

    state = SimulatorState()                      # seeded, deterministic customers and sales orders
    transport = httpx.ASGITransport(app=create_app(state))
    # settings: base_url="http://yonyou.test", tenant_id=TENANT_ID, app_key=APP_KEY, app_secret=APP_SECRET

Standalone: ``python -m connectors.erp.yonyou.simulator --port 9102``.

::

    seed.py    deterministic companies (valid 统一社会信用代码), contacts, addresses, orders with lines
    query.py   simpleVOs / queryOrders / pageIndex-pageSize, as the list APIs take them
    state.py   records, tokens (signature and timestamp checked, expiring), knobs, queued faults
    app.py     the HTTP routes and the /_sim control API
"""

from connectors.erp.yonyou.simulator.app import create_app
from connectors.erp.yonyou.simulator.state import APP_KEY, APP_SECRET, TENANT_ID, Fault, Knobs, SimulatorState

__all__ = ["APP_KEY", "APP_SECRET", "TENANT_ID", "Fault", "Knobs", "SimulatorState", "create_app"]
