"""Conversation state at rest is encrypted (Fernet: AES-128-CBC with an HMAC).

The state holds a report being written: its content, the citizen's name and phone number, the
summary shown for confirmation. Until the citizen confirms, that is not a feedback record (whose
contacts staff may see); a database dump or backup must not show it in clear. The key comes from
TTHC_STATE_KEY, or a key file created once beside the cache (mode 0600), so every worker and every
restart of one deployment reads the same state. Inbox rows (a message waiting to be processed)
use the same cipher.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

_PREFIX = "f1:"


class StateCipher:
    def __init__(self, key: bytes | str | None = None):
        fernet_key = derive_key(key) if key is not None else Fernet.generate_key()
        self._fernet = Fernet(fernet_key)
        self._tag_key = hashlib.sha256(b"tthc-tag:" + fernet_key).digest()

    def tag(self, text: str) -> str:
        """A keyed digest (HMAC-SHA256) of `text`: the same person rating twice gives the same tag,
        while a copied database cannot turn tags back into user ids without the deployment's key."""
        return hmac.new(self._tag_key, text.encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        return _PREFIX + self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, stored: str) -> str | None:
        """Plain text of a sealed value; a value stored before encryption is returned as is;
        None when it was sealed with another key (then the state is treated as empty)."""
        if not stored.startswith(_PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(_PREFIX):].encode("ascii")).decode()
        except InvalidToken:
            return None


def derive_key(secret: bytes | str) -> bytes:
    """A Fernet key from any secret string (a passphrase or a generated key)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return base64.urlsafe_b64encode(hashlib.sha256(b"tthc-state:" + raw).digest())


def key_file(path: Path) -> bytes:
    """The deployment's key, created on first use (readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


_PROCESS_CIPHER: StateCipher | None = None


def process_cipher() -> StateCipher:
    """One key per process for stores built without a configured key (tests, `tthc chat`)."""
    global _PROCESS_CIPHER
    if _PROCESS_CIPHER is None:
        _PROCESS_CIPHER = StateCipher()
    return _PROCESS_CIPHER
