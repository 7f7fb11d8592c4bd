"""Files and folders written aside and renamed into place: a reader sees the old one or the new one, never half."""

from __future__ import annotations

import pytest

from resume_ner.files import replace_folder, staged_folder, write_text_atomically


def leftovers(folder):
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_a_text_file_is_written_whole_and_replaces_the_old_one(tmp_path):
    path = tmp_path / "deeper" / "metrics.json"
    write_text_atomically(path, "old")
    write_text_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert leftovers(path.parent) == []


def test_a_failed_text_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    write_text_atomically(path, "old")

    def full_disk(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr("resume_ner.files.os.replace", full_disk)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == []


def test_a_staged_folder_replaces_its_target_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "checkpoint"
    with staged_folder(target) as staging:
        (staging / "weights").write_text("1")
        assert not target.exists()
    assert (target / "weights").read_text() == "1"
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "weights").write_text("2")
        raise RuntimeError("the writer failed half-way")
    assert (target / "weights").read_text() == "1"
    assert leftovers(tmp_path) == []


def test_replacing_a_folder_retires_the_old_one(tmp_path):
    target, staging = tmp_path / "model", tmp_path / ".model.new"
    target.mkdir()
    (target / "old").write_text("")
    staging.mkdir()
    (staging / "new").write_text("")
    replace_folder(staging, target)
    assert [path.name for path in target.iterdir()] == ["new"]
    assert leftovers(tmp_path) == []
