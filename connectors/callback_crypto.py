"""The callback cipher WeCom and DingTalk share (the WXBizMsgCrypt scheme). Pure: no I/O, no clock.

::

    msg_signature = sha1("".join(sorted([token, timestamp, nonce, encrypt]))).hexdigest()
    key           = base64decode(encoding_aes_key + "=")            32 bytes: AES-256-CBC, IV = key[:16]
    plaintext     = 16 random bytes | 4-byte big-endian BYTE length of msg | msg | receive id
                    then PKCS#7 padded to a multiple of 32 (pad value 1..32)
    encrypt       = base64(AES-256-CBC(plaintext))

The receive id is WeCom's corp id (or suite id) and DingTalk's owner key (app key, corp id or suite key).

Every way a callback can be wrong raises :class:`CallbackRejected` with a short ``reason`` and an
HTTP ``status``, never another exception::

    reason       status  what was wrong
    signature    401     msg_signature does not match (wrong token, or the request was changed)
    timestamp    401     the vendor's timestamp is too far from our clock (400 when it is not a number)
    receive_id   403     it decrypts, but was sealed for another corp/app (a different receive id)
    base64       400     ``encrypt`` is not base64
    format       400     the ciphertext is empty, too short, or not a whole number of AES blocks
    padding      400     PKCS#7 padding is 0, over 32, or its bytes disagree (wrong aes key, or corrupted)
    length       400     the 4-byte length field points past the end of the plaintext

Messages never contain the token, the key or the expected signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hub.errors import ConfigError, InvalidRequestError

PAD_BLOCK = 32  # the scheme pads to 32 bytes, not to AES's 16
_AES_BLOCK = 16
_RANDOM = 16
_LENGTH = struct.Struct(">I")
_KEY_CHARS = 43

_STATUS_BY_REASON = {"signature": 401, "timestamp": 401, "receive_id": 403}


class CallbackRejected(InvalidRequestError):
    """A vendor callback that fails verification or decryption: answer ``status``, store it as rejected.

    ``reason`` is a short machine word (see the module docstring); ``status`` is 400, 401 or 403.
    """

    code = "callback_rejected"

    def __init__(self, reason: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message, details={"reason": reason})
        self.reason = reason
        self.status = status if status is not None else _STATUS_BY_REASON.get(reason, 400)


class CallbackCipher:
    """Verify, decrypt, encrypt and sign callbacks for one (token, EncodingAESKey, receive id)."""

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        receive_id: str,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if not token:
            raise ConfigError("the callback token is empty: copy it from the vendor's callback settings page")
        if not receive_id:
            raise ConfigError("the callback receive id (corp id / app key) is empty")
        self._token = token
        self._key = _aes_key(encoding_aes_key)
        self._receive_id = receive_id.encode()
        self._random_bytes = random_bytes

    @property
    def receive_id(self) -> str:
        return self._receive_id.decode()

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """``msg_signature``: sha1 hex of the four values sorted and joined."""
        joined = "".join(sorted([self._token, timestamp, nonce, encrypt]))
        return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()

    def verify(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ``CallbackRejected("signature")`` unless ``signature`` matches (compared in constant time)."""
        expected = self.signature(timestamp, nonce, encrypt).encode()
        given = signature.strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            raise CallbackRejected(
                "signature", "the callback's msg_signature does not match: check the callback token in the "
                             "connector settings, or the request was changed on the way")

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside ``encrypt``; strict about base64, blocks, padding, length and receive id."""
        try:
            cipher_text = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRejected("base64", "the callback's encrypted payload is not base64") from None
        if not cipher_text or len(cipher_text) % _AES_BLOCK:
            raise CallbackRejected(
                "format", f"the callback's ciphertext is {len(cipher_text)} bytes, not a whole number of "
                          f"{_AES_BLOCK}-byte AES blocks (truncated?)")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:_AES_BLOCK])).decryptor()
        padded = decryptor.update(cipher_text) + decryptor.finalize()
        plain = _unpad(padded)
        if len(plain) < _RANDOM + _LENGTH.size:
            raise CallbackRejected("format", "the callback's plaintext is too short to hold its length field")
        (length,) = _LENGTH.unpack_from(plain, _RANDOM)
        start = _RANDOM + _LENGTH.size
        if start + length > len(plain):
            raise CallbackRejected(
                "length", f"the callback's length field says {length} bytes but only {len(plain) - start} follow")
        message, receive_id = plain[start:start + length], plain[start + length:]
        if not hmac.compare_digest(receive_id, self._receive_id):
            raise CallbackRejected(
                "receive_id", "the callback was encrypted for another receive id (corp id / app key): check "
                              "that this connector's settings match the app that sends the callback")
        return message

    def encrypt(self, message: bytes) -> str:
        """Seal ``message`` the way the vendor does (fresh random prefix each time)."""
        prefix = self._random_bytes(_RANDOM)
        if len(prefix) != _RANDOM:
            raise ValueError(f"random_bytes({_RANDOM}) returned {len(prefix)} bytes")
        plain = prefix + _LENGTH.pack(len(message)) + message + self._receive_id
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:_AES_BLOCK])).encryptor()
        cipher_text = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher_text).decode("ascii")

    def open(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """Verify the signature, then decrypt: the usual way to read a callback."""
        self.verify(signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def seal(self, message: bytes, timestamp: str, nonce: str) -> tuple[str, str]:
        """``(encrypt, msg_signature)`` for a reply (or for a simulator sending a callback)."""
        encrypted = self.encrypt(message)
        return encrypted, self.signature(timestamp, nonce, encrypted)


def check_timestamp(timestamp_ms_or_s: str, now: datetime, *, tolerance_s: int, millis: bool) -> None:
    """Raise ``CallbackRejected("timestamp")`` unless the vendor's timestamp is within ``tolerance_s`` of ``now``.

    ``millis``: the timestamp counts milliseconds (DingTalk) rather than seconds (WeCom).
    """
    text = timestamp_ms_or_s.strip()
    if not text.isdigit() or not text.isascii():
        raise CallbackRejected("timestamp", "the callback's timestamp is not a number", status=400)
    sent = int(text) / (1000 if millis else 1)
    skew = abs(now.timestamp() - sent)
    if skew > tolerance_s:
        raise CallbackRejected(
            "timestamp", f"the callback's timestamp is {skew:.0f} s away from this server's clock (more than "
                         f"{tolerance_s} s): a replayed request, or a clock to fix (NTP)")


def _aes_key(encoding_aes_key: str) -> bytes:
    hint = "copy the EncodingAESKey / aes_key from the vendor's callback settings page"
    if len(encoding_aes_key) != _KEY_CHARS:
        raise ConfigError(f"the callback AES key must be {_KEY_CHARS} characters, got {len(encoding_aes_key)}: {hint}")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"the callback AES key is not base64: {hint}") from None
    if len(key) != 32:  # defensive: 43 base64 characters always decode to 32 bytes
        raise ConfigError(f"the callback AES key decodes to {len(key)} bytes, not 32: {hint}")
    return key


def _pad(data: bytes) -> bytes:
    count = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([count]) * count


def _unpad(data: bytes) -> bytes:
    count = data[-1]
    if not 1 <= count <= PAD_BLOCK or count > len(data):
        raise CallbackRejected("padding", f"the callback's padding is invalid ({count}): wrong aes key, or corrupted")
    if not hmac.compare_digest(data[-count:], bytes([count]) * count):
        raise CallbackRejected("padding", "the callback's padding bytes disagree: wrong aes key, or corrupted")
    return data[:-count]
