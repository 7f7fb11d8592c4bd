"""notebooks/explore_study.ipynb: committed without outputs, and run top to bottom (nbclient, the python3 kernel of
this environment) on the outputs of a small main job, showing what each section promises and writing nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import REPO_ROOT, SMALL_MAIN_JOB_PARAMS
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK = REPO_ROOT / "notebooks" / "explore_study.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"
# Kedro's rich console colours text/plain outputs (and tracebacks) with ANSI codes and terminal links.
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")


def _text(output) -> str:
    """An output's plain text: a stream's text, or a display's text/plain, without terminal colours."""
    return ANSI.sub("", output.get("text") or output.get("data", {}).get("text/plain", ""))


def _cell(notebook, tag: str):
    return next(cell for cell in notebook.cells if tag in cell.metadata.get("tags", []))


def _stdout(cell) -> str:
    return "".join(output.text for output in cell.outputs if output.output_type == "stream" and output.name == "stdout")


def _displays(cell, mimetype: str) -> list:
    return [
        output.data[mimetype]
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result") and mimetype in output.data
    ]


def _tables(cell) -> list[str]:
    """The HTML of the pandas tables a cell displayed."""
    return [html for html in _displays(cell, "text/html") if 'class="dataframe"' in html]


def _table_rows(table_html: str) -> int:
    body = table_html[table_html.index("<tbody>") : table_html.index("</tbody>")]
    return body.count("<tr")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_notebook_is_committed_clean():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert set(notebook.metadata) <= {"kernelspec", "language_info"}


@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom_on_a_small_main_job(small_main_job, tmp_path, monkeypatch):
    project = small_main_job
    # The kernel works in a folder outside the project, so anything written relative to it would show there.
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    # nbclient starts the kernel with this process's environment.
    monkeypatch.setenv("RESUME_NER_PROJECT", str(project))
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the notebook points MLflow at the project's mlflow.db
    before = _snapshot(project)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        # Kedro shows tracebacks with rich, as display outputs: print the failed cell's outputs to say why.
        failed = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.execution_count][-1]
        pytest.fail(f"{error}\n{''.join(_text(output) for output in failed.outputs)[-4000:]}")

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert not [output for cell in code for output in cell.outputs if output.output_type == "error"]
    assert _snapshot(project) == before, "the notebook changed files in the project"
    assert list(workdir.iterdir()) == []

    # Corpus statistics: the document and entity counts of the corpus the job wrote, a table and a bar chart.
    records = json.loads((project / "data" / "03_primary" / "corpus.json").read_text(encoding="utf-8"))
    entity_types = json.loads((project / "data" / "03_primary" / "label_schema.json").read_text())["entity_types"]
    corpus_cell = _cell(notebook, "corpus-statistics")
    entities = sum(len(record["annotations"]) for record in records)
    assert f"{len(records)} documents, {entities} entities of {len(entity_types)} types" in _stdout(corpus_cell)
    per_type = _tables(corpus_cell)[-1]
    assert _table_rows(per_type) == len(entity_types) and all(f">{label}<" in per_type for label in entity_types)
    assert len(_displays(corpus_cell, PLOTLY)) == 1
    lengths_cell = _cell(notebook, "document-lengths")
    assert len(_displays(lengths_cell, PLOTLY)) == 1
    assert any(">characters<" in table and ">words<" in table for table in _tables(lengths_cell))

    # The trials table: one row per trial of the study.
    n_trials = int(SMALL_MAIN_JOB_PARAMS["hpo.n_trials"])
    assert len(pd.read_csv(project / "data" / "08_reporting" / "hpo" / "trials.csv")) == n_trials
    trials_cell = _cell(notebook, "trials")
    assert f": {n_trials} trials, objective" in _stdout(trials_cell)
    ranked = [table for table in _tables(trials_cell) if ">std<" in table]
    assert len(ranked) == 1 and _table_rows(ranked[0]) == n_trials
    summary = json.loads((project / "data" / "08_reporting" / "hpo" / "study_summary.json").read_text())
    assert f"Best trial: #{summary['best_trial_number']}," in _stdout(trials_cell)

    # The study's four plots, each a figure.
    assert len(_displays(_cell(notebook, "plots"), PLOTLY)) == 4

    # Hold-out scores of the refit model (the final model's expected quality).
    holdout = json.loads((project / "data" / "08_reporting" / "refit" / "holdout_metrics.json").read_text())
    overall = _tables(_cell(notebook, "holdout-metrics"))[0]
    assert f"{holdout['micro_f1']:.3f}" in overall and f"{holdout['macro_f1']:.3f}" in overall

    # The first hold-out resume with the refit model's entities highlighted, one <mark> per predicted entity.
    first = json.loads((project / "data" / "05_model_input" / "holdout_split.json").read_text())["holdout"][0]
    gold = next(len(record["annotations"]) for record in records if record["id"] == first)
    predictions_cell = _cell(notebook, "predictions")
    found = re.search(
        rf"Hold-out document {re.escape(first)}: \d+ characters, {gold} gold entities, (\d+) predicted",
        _stdout(predictions_cell),
    )
    assert found, _stdout(predictions_cell)
    predicted = int(found.group(1))
    assert predicted > 0
    highlighted = [html for html in _displays(predictions_cell, "text/html") if "<mark" in html]
    assert len(highlighted) == 1
    legend, text = highlighted[0].split("<div", 1)
    assert legend.count("<mark") == len(entity_types)
    assert text.count("<mark") == predicted
    comparison = _tables(_cell(notebook, "comparison"))
    assert any(">outcome<" in table and ">gold<" in table and ">predicted<" in table for table in comparison)
