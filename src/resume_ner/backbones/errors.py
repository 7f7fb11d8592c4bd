"""Errors raised while resolving a backbone."""

from __future__ import annotations


class BackboneUnavailableError(RuntimeError):
    """A backbone cannot be provided here (e.g. a hub model that is not cached and no network)."""
