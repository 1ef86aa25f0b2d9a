"""Build contexts: parse the context string, materialise it (local copy, git clone, tarball download),
honour ``.dockerignore`` when packing, and unpack untrusted archives safely (spec §6.2, §6.4)."""

from tasks_engine.source.dockerignore import (
    ACR_DEFAULT_EXCLUDES,
    Pattern,
    PatternMatcher,
    build_matcher,
    read_dockerignore,
)
from tasks_engine.source.errors import (
    ContextError,
    DockerignoreError,
    DownloadError,
    DownloadTransientError,
    GitContextError,
    GitTransientError,
    InvalidContextError,
    UnsafeArchiveError,
    mask_url,
)
from tasks_engine.source.extract import ExtractSummary, safe_extract
from tasks_engine.source.git import GitAuth, git_head_revision, split_credentials
from tasks_engine.source.materialize import ContextInfo, copy_local_folder, materialize_context
from tasks_engine.source.pack import PackSummary, iter_context_paths, pack_context, pack_context_to
from tasks_engine.source.spec import ContextKind, ContextSpec, parse_context

__all__ = [
    "ACR_DEFAULT_EXCLUDES",
    "ContextError",
    "ContextInfo",
    "ContextKind",
    "ContextSpec",
    "DockerignoreError",
    "DownloadError",
    "DownloadTransientError",
    "ExtractSummary",
    "GitAuth",
    "GitContextError",
    "GitTransientError",
    "InvalidContextError",
    "PackSummary",
    "Pattern",
    "PatternMatcher",
    "UnsafeArchiveError",
    "build_matcher",
    "copy_local_folder",
    "git_head_revision",
    "iter_context_paths",
    "mask_url",
    "materialize_context",
    "pack_context",
    "pack_context_to",
    "parse_context",
    "read_dockerignore",
    "safe_extract",
    "split_credentials",
]
