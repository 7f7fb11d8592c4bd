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
