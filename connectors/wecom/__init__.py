"""WeCom (企业微信): customers from customer contacts, contracts from approvals, application messages,
approvals started, and encrypted callbacks.

::

    connector.py            the ``wecom`` connector type (streams, actions, fetch, check)
    settings.py             hub.yaml settings
    auth.py                 access tokens per secret, shared by every worker
    client.py               one VendorClient per API family, with its token
    errors.py               what WeCom's errcodes mean (the error table)
    contacts.py             customers: get_follow_user_list + batch/get_by_user; externalcontact/get
    approvals.py            contracts: getapprovalinfo windows + getapprovaldetail; state with open approvals
    controls.py             an approval's form flattened by control id and title
    messages.py             message/send: text, markdown, textcard (templates.py renders them)
    applyevent.py           oa/applyevent, looked up before it is started again
    callbacks.py            /callbacks/wecom/{connector}: URL verification, encrypted events
    callback_xml.py         the callback XML, parsed without entity expansion
    callback_processing.py  stored events -> fetch jobs and tombstones
    simulator/              a faithful fake WeCom for tests, demos and benchmarks

See docs/connectors/wecom.md.
"""

from connectors.wecom.connector import WeComConnector
from connectors.wecom.settings import WeComSettings

__all__ = ["WeComConnector", "WeComSettings"]
