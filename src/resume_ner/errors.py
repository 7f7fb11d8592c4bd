"""Error types whose message tells the whole story, so the CLI prints it without a traceback."""


class ReportedError(Exception):
    """A failure whose message says what happened and what to do (for example a training child that crashed,
    with its exit status and last stderr lines); the CLI prints it and exits with status 1."""


class UserInputError(ReportedError):
    """Bad input or configuration; the CLI reports its message without a traceback and exits with status 2."""


def find_user_error(error: BaseException) -> BaseException | None:
    """The first UserInputError (or Kedro parameter validation error) in ``error``'s chain of causes."""
    from kedro.validation import ParameterValidationError
    from pydantic import ValidationError

    return _find(error, (UserInputError, ParameterValidationError, ValidationError))


def find_reported_error(error: BaseException) -> BaseException | None:
    """The first user error or other ``ReportedError`` in ``error``'s chain of causes."""
    return find_user_error(error) or _find(error, (ReportedError,))


def _find(error: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kinds):
            return current
        current = current.__cause__ or current.__context__
    return None


# pydantic's own words for a few error types, shorter and in the project's voice.
_MESSAGES = {"extra_forbidden": "unknown key", "missing": "is required"}


def describe_validation_error(error, subject: str, unnamed: tuple[str, ...] = ()) -> str:
    """``subject: key: problem; key: problem`` for a pydantic ``ValidationError``: one line naming each bad key,
    e.g. ``Invalid run config x.json: optimization.learning_rate: Input should be greater than 0``. Every config,
    parameter set and file the project checks is reported through this. ``unnamed``: location parts the reader
    never wrote (the tags of a discriminated union, ``float`` in ``learning_rate.float.low``), left out."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"] if part not in unnamed) or "(top level)"
        if item["type"] == "union_tag_invalid":
            tags = str(item.get("ctx", {}).get("expected_tags", "")).replace("'", "").split(", ")
            message = f"{item['ctx']['discriminator'].strip(chr(39))} must be {', '.join(tags[:-1])} or {tags[-1]}"
        else:
            message = _MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
        problems.append(f"{key}: {message}")
    return f"{subject}: " + "; ".join(problems)
