"""Hugging Face hub ids: the local cache first, then a download only when the hub is reachable."""

from __future__ import annotations

import logging
import os
import socket
import threading
import urllib.request
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from resume_ner.backbones.errors import BackboneNotFoundError, BackboneUnavailableError

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "true", "yes", "on"}
CONFIG_AND_TOKENIZER = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "*.model",
]
SAFETENSORS = ["model.safetensors", "model-*.safetensors", "model.safetensors.index.json"]
PYTORCH_BIN = ["pytorch_model.bin", "pytorch_model-*.bin", "pytorch_model.bin.index.json"]


def resolve_hub_id(repo_id: str) -> Path:
    """Snapshot folder of ``repo_id``: from the local cache, else downloaded if the hub answers."""
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except ValueError as exc:
        raise BackboneNotFoundError(
            f"Backbone {repo_id!r} is neither 'minilm', 'tiny-bert', an existing model folder, "
            f"nor a valid Hugging Face hub id ({exc})"
        ) from None

    cache = hub_cache_dir()
    cached = _cached_snapshot(repo_id, cache)
    if cached is not None:
        logger.info("Backbone %r resolved from the local Hugging Face cache at %s", repo_id, cached)
        return cached

    if _offline_env():
        _unavailable(repo_id, cache, "offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)")
    endpoint = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")
    if not hub_reachable(endpoint):
        _unavailable(repo_id, cache, f"{endpoint} cannot be reached")

    logger.info("Backbone %r is not cached; downloading it from %s into %s", repo_id, endpoint, cache)
    try:
        folder = _download(repo_id, cache, endpoint, CONFIG_AND_TOKENIZER + SAFETENSORS)
        if not _has_weights(folder):
            folder = _download(repo_id, cache, endpoint, CONFIG_AND_TOKENIZER + PYTORCH_BIN)
    except Exception as exc:  # httpx, hub and OS errors alike all mean "not available here"
        _unavailable(repo_id, cache, f"the download failed ({type(exc).__name__}: {_one_line(exc)})")
    if not (folder / "config.json").is_file() or not _has_weights(folder):
        _unavailable(repo_id, cache, "the hub repository has no config.json with safetensors/bin weights")
    logger.info("Backbone %r downloaded to %s", repo_id, folder)
    return folder


def hub_cache_dir() -> Path:
    """The hub cache folder, read from the environment now (huggingface_hub reads it at import)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(os.path.expandvars(explicit)).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface"
    )
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def hub_reachable(endpoint: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the endpoint (or its HTTPS proxy) opens within ``timeout``.

    The connect runs in a daemon thread because name resolution ignores socket timeouts and can
    stall far longer than ``timeout`` on a machine without network.
    """
    parts = urlsplit(endpoint)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        return False
    proxy = urllib.request.getproxies().get(parts.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = proxy_parts.hostname or host, proxy_parts.port or 80

    outcome: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=connect, name="hub-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(outcome and outcome[0])


def offline_message(repo_id: str, cache: Path, reason: str) -> str:
    """The one-line explanation carried by BackboneUnavailableError."""
    return (
        f"Backbone {repo_id!r} is not available: it is not in the local Hugging Face cache ({cache}) "
        f"and {reason}. "
        "Offline choices: 'minilm' (optionally with num_layers=1..6), 'tiny-bert' (trained on the corpus "
        "texts), or a local model folder containing config.json. To use this hub model, pre-download it "
        f"where the network is available (`hf download {repo_id}`, or "
        f"huggingface_hub.snapshot_download({repo_id!r})) and point HF_HUB_CACHE/HF_HOME at that cache, "
        "or save it with save_pretrained and pass the folder path."
    )


def _cached_snapshot(repo_id: str, cache: Path) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        # Only config/tokenizer patterns: hub's completeness check would otherwise demand both
        # safetensors and .bin weights when a repo has both; weights are checked below instead.
        folder = Path(
            snapshot_download(repo_id, cache_dir=cache, local_files_only=True, allow_patterns=CONFIG_AND_TOKENIZER)
        )
    except Exception as exc:  # LocalEntryNotFoundError, IncompleteSnapshotError, unreadable cache
        logger.debug("Hub id %r not usable from cache %s: %s", repo_id, cache, exc)
        return None
    if (folder / "config.json").is_file() and _has_weights(folder):
        return folder
    logger.info("Cached snapshot %s lacks config.json or weights; treating %r as not cached", folder, repo_id)
    return None


def _download(repo_id: str, cache: Path, endpoint: str, patterns: list[str]) -> Path:
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(repo_id, cache_dir=cache, endpoint=endpoint, allow_patterns=patterns, etag_timeout=10)
    )


def _has_weights(folder: Path) -> bool:
    return any(any(folder.glob(pattern)) for pattern in SAFETENSORS + PYTORCH_BIN)


def _offline_env() -> bool:
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _unavailable(repo_id: str, cache: Path, reason: str) -> NoReturn:
    raise BackboneUnavailableError(offline_message(repo_id, cache, reason))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
