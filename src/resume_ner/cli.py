"""Project CLI: Kedro's own ``run`` command, reporting user mistakes and explained failures without a traceback,
and stopping cleanly on SIGTERM or Ctrl-C (exit status 143 or 130, see ``execution.stop_signals``).

Kedro picks up the ``cli`` group of ``<package>.cli`` and lets its commands override the built-in ones, so
``kedro run`` and ``python -m resume_ner`` both go through here. Options and behaviour are Kedro's.
"""

from __future__ import annotations

import functools
import re
import signal
import sys

import click
from kedro.framework.cli.project import run as kedro_run

from resume_ner.errors import UserInputError, find_reported_error, find_user_error
from resume_ner.execution.stop_signals import (
    StopRequested,
    stop_detail,
    stopping_on_signals,
)

USER_ERROR_EXIT_STATUS = 2
REPORTED_FAILURE_EXIT_STATUS = 1


@click.group(name="resume-ner")
def cli() -> None:
    """Commands of the resume-ner project."""


def _reporting_user_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            _check_pipeline_names([*kwargs.get("pipelines", ()), *filter(None, [kwargs.get("pipeline")])])
            with stopping_on_signals():
                return command(*args, **kwargs)
        except KeyboardInterrupt as stop:  # SIGTERM or Ctrl-C: the children are stopped by now
            _end_mlflow_runs("KILLED")
            detail = stop_detail(stop)
            click.secho(
                f"{detail[0].upper()}{detail[1:]}: the running training stopped and its records are closed "
                f"(a study's trial FAIL, MLflow runs KILLED); run the same command to resume",
                fg="yellow",
                err=True,
            )
            sys.exit(stop.exit_status if isinstance(stop, StopRequested) else 128 + signal.SIGINT)
        except Exception as error:
            if find_reported_error(error) is None:
                raise
            click.secho(f"Error: {describe_error(error)}", fg="red", err=True)
            sys.exit(USER_ERROR_EXIT_STATUS if find_user_error(error) else REPORTED_FAILURE_EXIT_STATUS)

    return wrapper


def _end_mlflow_runs(status: str) -> None:
    """End this process's active MLflow runs (the ``kedro run``'s own, started by kedro-mlflow) with ``status``."""
    import mlflow

    while mlflow.active_run() is not None:
        mlflow.end_run(status=status)


def _check_pipeline_names(names: list[str]) -> None:
    """A misspelt ``--pipelines`` name fails here with the names there are, not deep inside Kedro."""
    if not names:
        return
    from kedro.framework.project import pipelines

    unknown = [name for name in names if name not in pipelines]
    if unknown:
        raise UserInputError(
            f"No pipeline named {', '.join(map(repr, unknown))}; the pipelines are: {', '.join(sorted(pipelines))}"
        )


def describe_error(error: BaseException) -> str:
    """The message to print: Kedro's parameter validation error is rewritten one line per problem
    (``hpo.n_trails: extra inputs are not permitted (got 5)``); any other error is its own message, without the
    ``Failed while loading data from dataset ...`` wrappers Kedro's catalog puts around it."""
    from kedro.validation import ParameterValidationError

    reported = find_reported_error(error) or error
    if isinstance(reported, ParameterValidationError):
        problems = _parameter_problems(str(reported))
        if problems:
            return "Invalid parameters (conf/base/parameters*.yml, conf/local or --params):\n" + "\n".join(
                f"  - {problem}" for problem in problems
            )
    return str(_without_catalog_wrappers(error, reported))


def _without_catalog_wrappers(error: BaseException, reported: BaseException) -> BaseException:
    """``reported`` where only Kedro's DatasetErrors wrap it (``raw_corpus: Failed while loading data from dataset
    CorpusDataset(filepath=..., ...).`` then the project's message): they repeat the dataset's arguments and push
    the message that says what to fix off the first line. Any other wrapper may add context, so it is kept."""
    from kedro.io import DatasetError

    current: BaseException | None = error
    while current is not reported and isinstance(current, DatasetError):
        current = current.__cause__ or current.__context__
    return reported if current is reported else error


# One entry of Kedro's message: "- Parameter 'hpo': Failed to instantiate HpoParameters for parameter 'hpo': 1
# validation error for HpoParameters" followed by pydantic's lines: the field's location, then, indented, the message
# with "[type=..., input_value=..., input_type=...]" and a "For further information" line.
_ENTRY = re.compile(r"^- Parameter '(?P<key>[^']+)': (?P<rest>.*)$")
_PYDANTIC_MESSAGE = re.compile(
    r"^  (?P<message>\S.*?)(?: \[type=[^,\]]+(?:, input_value=(?P<value>.*), "
    r"input_type=[^\]]+)?\])?$"
)


def _parameter_problems(message: str) -> list[str]:
    problems: list[str] = []
    key, location = None, None
    for line in message.splitlines():
        entry = _ENTRY.match(line)
        if entry:
            key, location = entry["key"], None
            if "validation error" not in entry["rest"]:
                problems.append(f"{key}: {entry['rest']}")
            continue
        if key is None or line.startswith("    ") or not line.strip():
            continue
        detail = _PYDANTIC_MESSAGE.match(line)
        if detail:  # a check of the whole model (a model validator) comes without a field location
            value = detail["value"]
            got = f" (got {value})" if value is not None and not value.startswith("{") else ""
            where = f"{key}.{location}" if location else key
            problems.append(f"{where}: {detail['message'][0].lower()}{detail['message'][1:]}{got}")
            location = None
        elif not line.startswith(" "):
            location = line.strip()
    return problems


run = click.Command(
    name="run",
    params=kedro_run.params,
    callback=_reporting_user_errors(kedro_run.callback),
    help=kedro_run.help,
    short_help=kedro_run.short_help,
)
cli.add_command(run)
