"""StartTrainingServerHook: a pipeline that will launch training children in preloaded mode starts the fork
server as it starts, so its imports run beside data processing and planning instead of before the first fold."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline

from resume_ner.execution import PreloadedLauncher
from resume_ner.execution.launchers import LAUNCHES_TRAINING
from resume_ner.hooks import StartTrainingServerHook


def identity(value):
    return value


TRAINS = Pipeline(
    [Node(identity, "a", "b", name="prepare"), Node(identity, "b", "c", name="run", tags=LAUNCHES_TRAINING)]
)
DOES_NOT_TRAIN = Pipeline([Node(identity, "a", "b", name="prepare")])


@pytest.fixture
def server_starts(monkeypatch) -> list[str]:
    """Each start the hook asks for (a real start imports torch for seconds in a process of its own)."""
    starts: list[str] = []
    monkeypatch.setattr(PreloadedLauncher, "start_server", lambda self: starts.append("started"))
    return starts


def catalog_with(training: dict | None) -> DataCatalog:
    return DataCatalog({} if training is None else {"params:training": MemoryDataset(training)})


@pytest.mark.parametrize(
    ("pipeline", "training", "starts"),
    [
        (TRAINS, {"launch": {"mode": "preloaded"}}, 1),
        (TRAINS, {"launch": {"mode": "preloaded", "gpus": 1}}, 1),
        (TRAINS, {"launch": {"mode": "process"}}, 0),
        (TRAINS, {}, 0),  # process is the default mode
        (TRAINS, {"launch": {"mode": "preloaded", "gpus": 2}}, 0),  # torchrun: a fresh process per run
        (TRAINS, {"launch": {"mode": "preloaded", "typo": 1}}, 0),  # the nodes' validation reports it
        (TRAINS, None, 0),
        (DOES_NOT_TRAIN, {"launch": {"mode": "preloaded"}}, 0),
    ],
)
def test_the_server_starts_only_for_a_pipeline_that_launches_preloaded_training(
    server_starts, pipeline, training, starts
):
    StartTrainingServerHook().before_pipeline_run(pipeline, catalog_with(training))
    assert len(server_starts) == starts


def test_the_nodes_that_launch_training_are_tagged_in_every_pipeline_that_has_them():
    from kedro.framework.project import configure_project

    from resume_ner.pipeline_registry import register_pipelines

    configure_project("resume_ner")
    tagged = {
        name: sorted(node.name for node in pipeline.nodes if LAUNCHES_TRAINING in node.tags)
        for name, pipeline in register_pipelines().items()
    }
    assert tagged["hpo"] == ["run_study"]
    assert tagged["refit"] == ["refit.execute_run"]
    assert tagged["final_training"] == ["final_training.execute_run"]
    assert tagged["data_processing"] == tagged["inference"] == []
    assert tagged["__default__"] == ["final_training.execute_run", "refit.execute_run", "run_study"]
