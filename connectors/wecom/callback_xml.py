"""WeCom's callback XML, read safely: the envelope around ``Encrypt``, and the event inside it.

Both are parsed with the standard library's expat parser after refusing any document
that declares a DOCTYPE or an ENTITY: no entity expansion ("billion laughs"), no
external entities, whatever the parser's version. Only what WeCom sends is needed:
elements and CDATA text.

An event becomes a flat dict of its elements' text; nested elements (an approval's
``ApprovalInfo``) become nested dicts, repeated ones lists::

    <xml><ToUserName><![CDATA[ww..]]></ToUserName><CreateTime>1715000000</CreateTime>
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>
         <ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID>..</UserID>
         <ExternalUserID>..</ExternalUserID></xml>
    -> {"ToUserName": "ww..", "CreateTime": "1715000000", "MsgType": "event",
        "Event": "change_external_contact", "ChangeType": "add_external_contact", ...}
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET  # guarded: DOCTYPE/ENTITY documents are refused first
from typing import Any

from connectors.callback_crypto import CallbackRejected

MAX_XML_BYTES = 1024 * 1024
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# WeCom's envelope as it always comes: read without a parser (no entities, no DOCTYPE can be in it).
_ENVELOPE = re.compile(rb"\s*<xml>(?:<ToUserName><!\[CDATA\[[^\]<>]*\]\]></ToUserName>|<AgentID><!\[CDATA\[[^\]<>]*"
                       rb"\]\]></AgentID>|<AgentID>\d*</AgentID>|\s)*<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]+)\]\]></Encrypt>"
                       rb"\s*</xml>\s*")


def parse_xml(data: bytes, what: str) -> ET.Element:
    """The root element; CallbackRejected("format") for anything that is not plain, small, well-formed XML."""
    if len(data) > MAX_XML_BYTES:
        raise CallbackRejected("format", f"the {what} is larger than {MAX_XML_BYTES} bytes")
    if _FORBIDDEN.search(data):
        raise CallbackRejected("format", f"the {what} declares a DOCTYPE or ENTITY, which WeCom never sends")
    try:
        return ET.fromstring(data)  # noqa: S314 - see the guard above
    except ET.ParseError as exc:
        raise CallbackRejected("format", f"the {what} is not well-formed XML ({exc})") from None


def encrypted_payload(body: bytes) -> str:
    """The ``Encrypt`` text of a POSTed callback envelope."""
    plain = _ENVELOPE.fullmatch(body)
    if plain is not None:  # the usual form, read in a microsecond
        return plain.group(1).decode("ascii")
    root = parse_xml(body, "callback body")
    node = root.find("Encrypt")
    text = (node.text or "").strip() if node is not None else ""
    if not text:
        raise CallbackRejected("format", "the callback body has no <Encrypt> element: expected "
                                         "<xml><ToUserName/><AgentID/><Encrypt>...</Encrypt></xml>")
    return text


def element_dict(node: ET.Element) -> Any:
    """An element's text, or for an element with children a dict of them (repeated children as a list)."""
    children = list(node)
    if not children:
        return (node.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = element_dict(child)
        if child.tag in out:
            existing = out[child.tag]
            out[child.tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[child.tag] = value
    return out


def parse_event(message: bytes) -> dict[str, Any]:
    """The decrypted event as a dict (see the module's example)."""
    event = element_dict(parse_xml(message, "decrypted callback event"))
    if not isinstance(event, dict):
        raise CallbackRejected("format", "the decrypted callback event is an empty XML element")
    return event


_HEAD_TAGS = ("MsgType", "Event", "ChangeType", "MsgId")
_HEAD = {tag: re.compile(rb"<%s>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))\s*</%s>" % (tag.encode(), tag.encode()), re.S)
         for tag in _HEAD_TAGS}


def event_head(message: bytes) -> dict[str, str]:
    """The event's kind and ids, read while answering WeCom (a regex per tag, no parser: cheap).

    The event was signed and encrypted by WeCom, so it is not parsed here; processing parses it
    (safely) and quarantines one that is not well-formed. A DOCTYPE or ENTITY is refused at once.
    """
    if _FORBIDDEN.search(message):
        raise CallbackRejected("format", "the decrypted callback event declares a DOCTYPE or ENTITY, which WeCom "
                                         "never sends")
    head = {}
    for tag, pattern in _HEAD.items():
        found = pattern.search(message)
        value = (found.group(1) if found.group(1) is not None else found.group(2)) if found else b""
        head[tag] = value.decode("utf-8", "replace").strip()
    return head


def dedupe_key(head: dict[str, Any], message: bytes) -> str:
    """The same for WeCom's retries of one event, different for different events.

    Messages carry ``MsgId``; events do not, so an event is named by its decrypted XML (sender,
    ``CreateTime``, type and every field), which each retry carries again byte for byte (only
    the random prefix of the ciphertext changes).
    """
    if head.get("MsgId"):
        return f"msg:{head['MsgId']}"
    kind = str(head.get("Event") or head.get("MsgType") or "event")[:60]
    return f"{kind}:{hashlib.sha256(message).hexdigest()[:40]}"


def event_type(event: dict[str, Any]) -> str:
    """``change_external_contact/add_external_contact``, ``sys_approval_change``, ``text`` ..."""
    kind = str(event.get("Event") or event.get("MsgType") or "unknown")
    change = event.get("ChangeType")
    return f"{kind}/{change}" if change else kind
