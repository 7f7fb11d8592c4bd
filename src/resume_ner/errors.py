"""The error type for problems a user can fix: bad input files, parameters or choices."""


class UserInputError(Exception):
    """Bad input or configuration; the CLI reports its message without a traceback and exits with status 2."""


def find_user_error(error: BaseException) -> BaseException | None:
    """The first UserInputError (or Kedro parameter validation error) in ``error``'s chain of causes."""
    from kedro.validation import ParameterValidationError
    from pydantic import ValidationError

    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (UserInputError, ParameterValidationError, ValidationError)):
            return current
        current = current.__cause__ or current.__context__
    return None
