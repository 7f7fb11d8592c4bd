"""The batch inference nodes on their own; the champion is a stand-in with a pyfunc model's ``predict``
(tests/pipelines/test_in_memory_runs.py runs the pipelines, test_serving_end_to_end.py the real champion)."""

from __future__ import annotations

import json

from champion_stand_in import Champion
from champion_stand_in import unreadable as failing

from resume_ner.pipelines.inference.nodes import predict_resumes, read_resumes, write_results


def test_unreadable_files_are_listed_with_their_reason_and_the_rest_are_read():
    texts, unreadable = read_resumes(
        {"b.txt": lambda: "Python dev", "a.pdf": failing("a.pdf: cannot read it as PDF (EOF)"), "c.docx": lambda: ""}
    )
    assert texts == {"b.txt": "Python dev", "c.docx": ""}
    assert unreadable == [{"file": "a.pdf", "reason": "a.pdf: cannot read it as PDF (EOF)"}]


def test_the_champion_predicts_every_readable_file_in_one_call():
    champion = Champion()
    records = predict_resumes(champion, {"b.txt": "Python and Python", "a.txt": "none"})
    assert champion.calls == [["none", "Python and Python"]]  # loaded once, one batch
    assert [record["file"] for record in records] == ["a.txt", "b.txt"]
    assert records[1]["characters"] == 17 and len(records[1]["entities"]) == 2
    assert predict_resumes(champion, {}) == [] and len(champion.calls) == 1  # nothing to predict: no call


def test_results_are_json_lines_and_the_summary_counts_files_and_entities():
    records = [
        {"file": "a.txt", "characters": 4, "entities": []},
        {"file": "b.txt", "characters": 9, "entities": [{"label": "SKILL"}, {"label": "NAME"}, {"label": "SKILL"}]},
    ]
    lines, summary = write_results(records, [{"file": "c.pdf", "reason": "broken"}])
    assert [json.loads(line) for line in lines.splitlines()] == records and lines.endswith("\n")
    assert summary == {
        "files": 3,
        "predicted": 2,
        "unreadable": [{"file": "c.pdf", "reason": "broken"}],
        "entities": 3,
        "entities_per_type": {"NAME": 1, "SKILL": 2},
    }
    assert write_results([], []) == (
        "",
        {"files": 0, "predicted": 0, "unreadable": [], "entities": 0, "entities_per_type": {}},
    )
