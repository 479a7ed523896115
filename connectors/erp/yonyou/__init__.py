"""Yonyou YonBIP / YonSuite (用友) connector: customers and sales orders in, customers out.

::

    connector.py   YonyouConnector: streams merchant, voucherorder; action merchant
    settings.py    YonyouSettings: base_url, tenant_id, app_key, app_secret (+ page_size, requests_per_second)
    gateway.py     data-centre discovery (getGatewayAddress)
    signing.py     the selfAppAuth signature
    api.py         discovery + shared token + {gatewayUrl}/yonbip/... calls
    errors.py      the error table
    paging.py      pubts-cursor paging with boundary de-duplication
    streams.py     customers, sales orders (+ lines from the detail)
    actions.py     customer batch save: idempotent, partial failures per item
    simulator/     a faithful fake of the open API (python -m connectors.erp.yonyou.simulator)

See docs/connectors/yonyou.md.
"""

from connectors.erp.yonyou.connector import YonyouConnector
from connectors.erp.yonyou.settings import YonyouSettings

__all__ = ["YonyouConnector", "YonyouSettings"]
