"""Project CLI: Kedro's own ``run`` command, reporting user mistakes and explained failures without a traceback.

Kedro picks up the ``cli`` group of ``<package>.cli`` and lets its commands override the built-in ones, so
``kedro run`` and ``python -m resume_ner`` both go through here. Options and behaviour are Kedro's.
"""

from __future__ import annotations

import functools
import sys

import click
from kedro.framework.cli.project import run as kedro_run

from resume_ner.errors import find_reported_error, find_user_error

USER_ERROR_EXIT_STATUS = 2
REPORTED_FAILURE_EXIT_STATUS = 1


@click.group(name="resume-ner")
def cli() -> None:
    """Commands of the resume-ner project."""


def _reporting_user_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as error:
            if find_reported_error(error) is None:
                raise
            click.secho(f"Error: {error}", fg="red", err=True)
            sys.exit(USER_ERROR_EXIT_STATUS if find_user_error(error) else REPORTED_FAILURE_EXIT_STATUS)

    return wrapper


run = click.Command(
    name="run",
    params=kedro_run.params,
    callback=_reporting_user_errors(kedro_run.callback),
    help=kedro_run.help,
    short_help=kedro_run.short_help,
)
cli.add_command(run)
