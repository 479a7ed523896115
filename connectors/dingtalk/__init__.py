"""DingTalk (钉钉): pull approval instances as contracts; push robot messages, work notifications, to-dos and
approvals; receive encrypted event callbacks.

::

    connector.py   the ``dingtalk`` connector type (streams, actions, check, fetch)
    settings.py    hub.yaml settings (both API hosts, robot, callbacks, process codes)
    auth.py        both token generations: header token (v1.0) and ?access_token= (old)
    client.py      one method per API call, two hosts, two error tables
    errors.py      what DingTalk's answers mean (the error tables)
    streams.py     approval instances: listing by template, re-reading open ones, flattening forms
    actions.py     robot, work notification, to-do, approval: idempotent where DingTalk allows
    signing.py     the robot's 加签 signature (pure)
    templates.py   Chinese and English message templates (Jinja2)
    callbacks.py   receiving (verify, decrypt, encrypted "success") and processing events
    simulator/     a faithful fake DingTalk (both hosts) for tests and demos

See docs/connectors/dingtalk.md.
"""

from connectors.dingtalk.connector import DingTalkConnector
from connectors.dingtalk.settings import DingTalkSettings

__all__ = ["DingTalkConnector", "DingTalkSettings"]
