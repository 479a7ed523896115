"""Kingdee K3 Cloud (金蝶云星空): pull customers, sales orders, receipts and production orders; push
production orders and customers.

::

    connector.py   the ``kingdee`` connector type (streams, actions, check)
    settings.py    hub.yaml settings, both auth modes
    auth.py        the shared login session, or signed requests
    signing.py     X-Api-* / X-Kd-* signatures (pure)
    client.py      one method per WebAPI service
    errors.py      what Kingdee's answers mean (the error table)
    query.py       ExecuteBillQuery: zipping, entry grouping, cursor paging with boundary de-dup
    streams.py     the forms read, receipts folded into order payments
    actions.py     idempotent Save (+ Submit/Audit)
    simulator/     a faithful fake K3 Cloud for tests, demos and benchmarks

See docs/connectors/kingdee.md.
"""

from connectors.erp.kingdee.connector import KingdeeConnector
from connectors.erp.kingdee.settings import KingdeeSettings

__all__ = ["KingdeeConnector", "KingdeeSettings"]
