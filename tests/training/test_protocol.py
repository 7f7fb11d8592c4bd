"""The parent/child contract: events that do not match their declared type are refused on the child's side, and
the README's description of a run folder, its events and exit statuses is the contract's."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO_ROOT

from resume_ner.training.progress import ProgressStream, SilentProgress
from resume_ner.training.protocol import (
    CHECKPOINT_DIR,
    CONFIG_FILE,
    LOG_FILE,
    METRICS_FILE,
    PARENT_PID_VARIABLE,
    PROGRESS_FILE,
    Event,
    ExitStatus,
    ProtocolError,
    event_record,
    expected_parent,
    log_file,
)

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_an_event_is_written_with_its_kind_elapsed_time_and_declared_fields(tmp_path):
    stream = ProgressStream(tmp_path / PROGRESS_FILE)
    stream.emit(Event.CHECKPOINT, epoch=2, path="run/checkpoint")
    stream.emit("stopped", signal=None, status=ExitStatus.STOPPED)
    stream.close()
    first, second = (json.loads(line) for line in (tmp_path / PROGRESS_FILE).read_text().splitlines())
    assert first == {"event": "checkpoint", "elapsed": first["elapsed"], "epoch": 2, "path": "run/checkpoint"}
    assert second["status"] == 143 and second["signal"] is None


@pytest.mark.parametrize(
    "progress", [lambda folder: ProgressStream(folder / PROGRESS_FILE), lambda _: SilentProgress()]
)
def test_an_event_missing_a_field_or_carrying_an_undeclared_one_is_refused_on_every_rank(tmp_path, progress):
    stream = progress(tmp_path)
    with pytest.raises(ProtocolError, match=r"missing fields \['best', 'wall_seconds'\]"):
        stream.emit(Event.FINISHED, status=0, best_epoch=1)
    with pytest.raises(ProtocolError, match=r"undeclared fields \['learning_rate'\]"):
        stream.emit(Event.STEP, epoch=1, step=5, total_steps=10, train_loss=0.3, learning_rate=0.01)
    with pytest.raises(ProtocolError, match="'paused' is not a progress event"):
        stream.emit("paused")
    stream.close()


def test_optional_fields_may_be_left_out():
    record = event_record(Event.EPOCH, 1.5, {"epoch": 1, "step": 3, "train_loss": 0.4, "train_windows": 12})
    assert record["event"] == "epoch" and "validation" not in record


def test_the_child_reads_the_parent_pid_the_launcher_sets():
    assert expected_parent({PARENT_PID_VARIABLE: "4242"}) == 4242
    assert expected_parent({}) is None and expected_parent({PARENT_PID_VARIABLE: "not a pid"}) is None


def test_each_rank_logs_to_its_own_file():
    assert (log_file(0), log_file(3)) == (LOG_FILE, "run.rank3.log")


def test_the_readmes_run_folder_table_lists_the_contracts_files_and_events():
    table = README[README.index("What a run writes into its folder:") :]
    table = table[: table.index("\n\n", table.index("|"))]
    files = re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)
    assert files == [CONFIG_FILE, PROGRESS_FILE, METRICS_FILE, f"{CHECKPOINT_DIR}/", LOG_FILE]
    progress_row = next(line for line in table.splitlines() if line.startswith(f"| `{PROGRESS_FILE}`"))
    assert re.findall(r"`(\w+)`", progress_row.split("|")[2]) == [event.value for event in Event]


def test_the_readmes_exit_statuses_are_the_contracts():
    paragraph = README[README.index("Exit status: `0` done") :]
    paragraph = paragraph[: paragraph.index("\n\n")]
    assert sorted(int(code) for code in re.findall(r"`(\d+)`", paragraph)) == sorted(ExitStatus)
