"""Image references: parse, validate and normalise them the way ACR records them in dependency reports.

The grammar is docker/distribution's ``reference`` grammar (name, optional tag, optional digest); a string
outside it is refused here rather than failing later inside ``docker build`` or ``docker push``.

Normalisation follows acr-builder's ``NormalizeImageTag`` + ``NewImageReference`` (spec §5.2) so that
dependency reports and the base-image index key images the same way ACR does:

* ``:latest`` is appended when there is neither a tag nor a digest;
* a name without a registry domain lives on ``registry.hub.docker.com``; an official image gets ``library/``.

Deliberate deviations (improvements), because they make two spellings of one image compare equal:

* ACR treats the first path component as a registry only if it contains a ``.``, so ``localhost:5000/x``
  becomes the Docker Hub repository ``localhost:5000/x`` and gets no ``:latest``. We use Docker's own rule:
  the first component is a registry if it contains ``.`` or ``:`` or is ``localhost``.
* ``docker.io``, ``index.docker.io`` and ``registry-1.docker.io`` are spelled ``registry.hub.docker.com`` and
  official images get ``library/``, so ``docker.io/golang`` and ``golang`` are one dependency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from tasks_engine.errors import DefinitionError, Problem, Severity

DOCKER_HUB_REGISTRY = "registry.hub.docker.com"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", DOCKER_HUB_REGISTRY})
_NAME_TOTAL_LENGTH_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT, re.ASCII)
_REFERENCE_RE = re.compile(
    rf"(?P<name>(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*))"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)


class ImageReferenceError(DefinitionError):
    """An image name that docker would refuse; the user must fix the task or the Dockerfile."""

    def __init__(self, reference: str, reason: str) -> None:
        self.reference = reference
        self.reason = reason
        super().__init__([Problem(Severity.ERROR, f"invalid image reference {reference!r}: {reason}")])


@dataclass(frozen=True)
class ImageRef:
    """One image as ACR records it: ``reference`` is the string as written (plus ``:latest``).

    ``registry``/``repository`` are the normalised location used to compare and index images.
    """

    registry: str
    repository: str
    tag: str
    digest: str
    reference: str

    @property
    def canonical(self) -> str:
        """Fully qualified spelling (``registry/repository:tag@digest``), equal for equal images."""
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.registry, self.repository, self.tag, self.digest)

    @property
    def is_scratch(self) -> bool:
        """``scratch`` is not an image; digest lookups skip it (acr-builder ``digest_*.go``)."""
        return self.registry == DOCKER_HUB_REGISTRY and self.repository == "library/scratch"

    def with_digest(self, digest: str) -> ImageRef:
        return replace(self, digest=digest)

    def to_dict(self) -> dict[str, str]:
        """ACR's JSON shape: ``tag`` is omitted when empty (Go ``omitempty``), ``digest`` never is."""
        out = {"registry": self.registry, "repository": self.repository}
        if self.tag:
            out["tag"] = self.tag
        out["digest"] = self.digest
        out["reference"] = self.reference
        return out


@dataclass(frozen=True)
class _Parsed:
    domain: str
    path: str
    tag: str
    digest: str


def _parse(ref: str) -> _Parsed:
    if not ref:
        raise ImageReferenceError(ref, "repository name must have at least one component")
    m = _REFERENCE_RE.fullmatch(ref)
    if m is None:
        if _REFERENCE_RE.fullmatch(ref.lower()) is not None:
            raise ImageReferenceError(ref, "repository name must be lowercase")
        raise ImageReferenceError(ref, "invalid reference format")
    if len(m.group("name")) > _NAME_TOTAL_LENGTH_MAX:
        raise ImageReferenceError(
            ref, f"repository name must not be more than {_NAME_TOTAL_LENGTH_MAX} characters"
        )
    domain = m.group("domain") or ""
    path = m.group("path")
    if domain and not _is_registry_domain(domain):
        # The grammar lets "myorg/myimage" read "myorg" as a domain; Docker (and we) call it a namespace,
        # which must then obey the (lowercase) path-component grammar.
        if _PATH_COMPONENT_RE.fullmatch(domain) is None:
            raise ImageReferenceError(ref, "repository name must be lowercase")
        path = f"{domain}/{path}"
        domain = ""
    return _Parsed(domain, path, m.group("tag") or "", m.group("digest") or "")


def _is_registry_domain(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component.startswith("[")


def has_tag_or_digest(ref: str) -> bool:
    parsed = _parse(ref)
    return bool(parsed.tag or parsed.digest)


def normalize_image_tag(ref: str) -> str:
    """Append ``:latest`` when the reference has neither tag nor digest (``util.NormalizeImageTag``).

    Unlike ACR's string test for ``:``, a registry port (``localhost:5000/x``) is not mistaken for a tag.
    """
    return ref if has_tag_or_digest(ref) else f"{ref}:latest"


def parse_image_reference(ref: str) -> ImageRef:
    """Validate ``ref`` and return it normalised (``:latest`` added, registry and repository resolved)."""
    text = ref.strip()
    parsed = _parse(text)
    if not parsed.tag and not parsed.digest:
        text = f"{text}:latest"
        parsed = _Parsed(parsed.domain, parsed.path, "latest", "")
    registry = parsed.domain
    repository = parsed.path
    if not registry or registry.lower() in _HUB_ALIASES:
        registry = DOCKER_HUB_REGISTRY
        if "/" not in repository:
            repository = f"library/{repository}"
    return ImageRef(registry, repository, parsed.tag, parsed.digest, text)


def normalize_push_refs(refs: Iterable[str]) -> list[str]:
    """``[a, a:latest, b@sha256:…]`` → ``[a:latest, b@sha256:…]`` (spec §8.15): tag, dedupe, keep order."""
    seen: set[str] = set()
    out: list[str] = []
    for ref in refs:
        text = ref.strip()
        normalized = normalize_image_tag(text)
        if normalized not in seen:
            seen.add(normalized)
            out.append(normalized)
    return out
