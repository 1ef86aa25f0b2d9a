"""Small predicates shared by the lint passes, each matching one Go function of acr-builder."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

#: Go ``unicode.IsSpace``: Latin-1 spaces (incl. NEL and NBSP) and the Unicode White_Space property.
GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

VALID_VERSIONS = ("1.0-preview-1", "v1.0.0", "v1.1.0")
CURRENT_VERSION = "v1.0.0"

VOLUME_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
SECRET_FILE_NAME = re.compile(r"^[a-zA-Z0-9_.-]+$")

_HEX = "[0-9a-fA-F]"
_UUID_36 = re.compile(rf"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$")
_UUID_32 = re.compile(rf"^{_HEX}{{32}}$")


def contains_space(text: str) -> bool:
    """acr-builder ``util.ContainsSpace`` (``unicode.IsSpace`` on every rune)."""
    return any(ch in GO_SPACES for ch in text)


def is_valid_uuid(text: str) -> bool:
    """github.com/google/uuid ``Parse``: 36-char, ``{...}``, ``urn:uuid:...`` or 32 hex digits."""
    if len(text) == 38 and text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    elif len(text) == 45 and text[:9].lower() == "urn:uuid:":
        text = text[9:]
    return bool(_UUID_36.match(text) or _UUID_32.match(text))


def keyvault_url_error(url: str) -> str | None:
    """acr-builder ``NewAKVSecretConfig`` checks of a Key Vault secret URL (ACR runs them at render time)."""
    normalized = url.lower()
    if normalized.endswith("/"):
        normalized = normalized[:-1]
    try:
        parsed = urlsplit(normalized)
    except ValueError as exc:
        return f"failed to parse the azure keyvault secret URL: {exc}"
    if parsed.scheme != "https":
        return "invalid azure keyvault secret URL scheme. Expected Https"
    segments = parsed.path.split("/")
    if len(segments) not in (3, 4):
        return f"invalid azure keyvault secret URL. Bad number of URL segments: {len(segments)}"
    if segments[1] != "secrets":
        return f"invalid azure keyvault secret URL. Expected 'secrets' collection, but found: {segments[1]}"
    if not segments[2]:
        return "invalid azure keyvault secret URL. The secret name is empty"
    if "." not in parsed.netloc:
        return f"extracted vault resource https://{parsed.netloc} from vault URL {url} is invalid"
    return None


def base64_error(value: str) -> str | None:
    """Go ``base64.StdEncoding.DecodeString`` (which skips CR and LF); the error text, or ``None``."""
    cleaned = value.replace("\r", "").replace("\n", "")
    try:
        base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        return str(exc)
    return None
