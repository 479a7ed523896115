"""Secrets at rest: encrypted with MultiFernet keys from ``HUB_SECRET_KEY`` (comma-separated, newest first).

Rotation: put the new key first and keep the old ones after it; everything still
decrypts, new writes use the new key, and ``SecretBox.rotate`` re-encrypts a value.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.errors import ConfigError


class SecretBox:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ConfigError("HUB_SECRET_KEY is empty", details={"hint": "generate one with: hub secrets keygen"})
        fernets = []
        for index, key in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                raise ConfigError(
                    f"HUB_SECRET_KEY: key {index} is not a Fernet key (32 url-safe base64 bytes)",
                    details={"hint": "generate one with: hub secrets keygen"},
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "a stored secret cannot be decrypted with HUB_SECRET_KEY (was the key changed without keeping the old "
                "one after the new?)"
            ) from None

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ConfigError("a stored secret cannot be decrypted with any key in HUB_SECRET_KEY (keep the old key "
                              "after the new one until rotate-key has run)") from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()
