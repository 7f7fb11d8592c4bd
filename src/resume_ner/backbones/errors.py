"""Errors raised while resolving a backbone."""

from __future__ import annotations

from resume_ner.errors import UserInputError


class BackboneUnavailableError(UserInputError, RuntimeError):
    """A backbone cannot be provided here (e.g. a hub model that is not cached and no network)."""


class BackboneNotFoundError(UserInputError, ValueError):
    """A backbone name that is neither a known backbone, a model folder nor a valid hub id."""
