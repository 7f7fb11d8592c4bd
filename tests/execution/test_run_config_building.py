"""build_training_config: precedence, hyperparameter names, run folders, and clear errors."""

from __future__ import annotations

import json

import pytest

from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.splits import SplitsMismatchError
from resume_ner.errors import UserInputError
from resume_ner.execution import (
    RunPurpose,
    build_training_config,
    splits_fingerprint,
    with_half_batch,
    write_run_config,
    write_run_inputs,
)
from resume_ner.training.config import TrainingSettings, load_run_config
from resume_ner.training.hyperparameters import hyperparameter_paths

BASE = {
    "backbone": {"name": "tiny-bert"},
    "optimization": {"learning_rate": 1e-4, "batch_size": 8, "epochs": 10, "dropout": 0.2},
    "early_stopping": {"patience": 2},
    "precision": "fp32",
}


@pytest.fixture
def inputs(tmp_path, small_corpus):
    from resume_ner.corpus.near_duplicates import near_duplicate_groups
    from resume_ner.corpus.splits import make_folds, split_holdout

    groups = {"corpus_fingerprint": small_corpus.fingerprint(), "groups": near_duplicate_groups(small_corpus)}
    folds = make_folds(small_corpus, groups, split_holdout(small_corpus, groups, 0.2, seed=0), 2, seed=0)
    return write_run_inputs(tmp_path / "study", small_corpus, folds, LabelSchema.from_corpus(small_corpus).to_dict())


def build(inputs, tmp_path, hyperparameters=None, purpose=None, base=BASE):
    purpose = purpose or RunPurpose(kind="trial", name="study-a", trial=3, fold=1)
    return build_training_config(
        TrainingSettings.model_validate(base),
        hyperparameters or {},
        purpose,
        inputs,
        tmp_path / "runs",
        tmp_path / "backbones",
    )


def test_hyperparameters_override_the_base_and_the_purpose_overrides_both(inputs, tmp_path):
    config = build(
        inputs,
        tmp_path,
        {"learning_rate": 3e-4, "epochs": 4, "optimization.weight_decay": 0.05},
        RunPurpose(kind="refit", name="r1", epochs=7),
    )
    assert config.optimization.learning_rate == 3e-4  # hyperparameter over base
    assert config.optimization.weight_decay == 0.05  # dotted key
    assert config.optimization.batch_size == 8 and config.optimization.dropout == 0.2  # base kept
    assert config.optimization.epochs == 7  # purpose over hyperparameter
    assert config.data.fold == "all" and config.early_stopping.patience is None  # no validation, no stopping


def test_the_final_run_trains_on_every_document_and_refit_on_the_training_documents(inputs, tmp_path):
    final = build(inputs, tmp_path, purpose=RunPurpose(kind="final", name="f1", epochs=3))
    refit = build(inputs, tmp_path, purpose=RunPurpose(kind="refit", name="r1", epochs=3))
    assert (final.data.fold, refit.data.fold) == ("all_with_holdout", "all")
    assert final.early_stopping.patience is None


def test_a_trial_fold_keeps_early_stopping_and_trains_its_fold(inputs, tmp_path):
    config = build(inputs, tmp_path, {"epochs": 4})
    assert config.data.fold == 1  # the purpose's fold
    assert config.optimization.epochs == 4 and config.early_stopping.patience == 2


def test_each_run_gets_its_own_self_contained_folder(inputs, tmp_path):
    config = build(inputs, tmp_path)
    assert config.output_dir == (tmp_path / "runs" / "trial" / "study-a" / "trial-3" / "fold-1").resolve()
    assert config.data.corpus == inputs.corpus and config.data.corpus.is_absolute()
    assert config.label_schema == inputs.label_schema
    assert config.backbone_cache_dir == (tmp_path / "backbones").resolve()
    path = write_run_config(config)
    assert path == config.output_dir / "config.json"
    assert load_run_config(path) == config  # the file alone is the whole run


@pytest.mark.parametrize(
    "owned",
    [
        {"output_dir": "/elsewhere"},
        {"data": {"corpus": "/o.json", "splits": "/o.json"}},
        {"entity_types": ["WRONG"]},
        {"tracking": {"run_id": "x"}},
    ],
)
def test_training_settings_cannot_set_what_a_run_owns(owned):
    with pytest.raises(ValueError, match=f"{next(iter(owned))}\n  Extra inputs are not permitted"):
        TrainingSettings.model_validate({**BASE, **owned})


def test_a_hyperparameter_cannot_set_what_a_run_owns(inputs, tmp_path):
    with pytest.raises(UserInputError, match=r"'data\.fold' is not a training setting"):
        build(inputs, tmp_path, {"data.fold": 0})


def test_the_label_set_comes_from_the_snapshot_schema(inputs, tmp_path, small_corpus):
    config = build(inputs, tmp_path)
    assert config.entity_types == list(LabelSchema.from_corpus(small_corpus).entity_types)


@pytest.mark.parametrize(
    ("hyperparameters", "expected"),
    [
        ({"lr": 0.1}, "hyperparameter 'lr' is not a training setting"),
        ({"learning_rate": -1}, "optimization.learning_rate: Input should be greater than 0"),
        ({"batch_size": "big"}, "optimization.batch_size: Input should be a valid integer"),
        ({"optimization.nonsense": 1}, "optimization.nonsense: unknown key"),
    ],
)
def test_bad_hyperparameters_give_one_line_naming_the_key(inputs, tmp_path, hyperparameters, expected):
    with pytest.raises(UserInputError, match=expected) as caught:
        build(inputs, tmp_path, hyperparameters)
    assert "\n" not in str(caught.value)


def test_short_names_map_to_run_config_keys():
    assert hyperparameter_paths({"backbone": "minilm", "num_layers": 2, "dropout": 0.0}) == {
        "backbone.name": "minilm",
        "backbone.num_layers": 2,
        "optimization.dropout": 0.0,
    }


def test_purposes_are_checked():
    with pytest.raises(ValueError, match="needs trial and fold"):
        RunPurpose(kind="trial", name="s")
    with pytest.raises(ValueError, match="take neither"):
        RunPurpose(kind="refit", name="s", trial=1, fold=0)
    with pytest.raises(ValueError):
        RunPurpose(kind="final", name="../escape")


def test_inputs_snapshot_refuses_splits_of_another_corpus(tmp_path, small_corpus):
    folds = {"corpus_fingerprint": "sha256:0000", "folds": []}
    with pytest.raises(SplitsMismatchError, match="data_processing"):
        write_run_inputs(tmp_path, small_corpus, folds, {})
    assert not (tmp_path / "inputs" / "corpus.json").exists()


def test_splits_fingerprint_depends_on_content_not_key_order():
    a = {"corpus_fingerprint": "x", "folds": [{"train": ["1"], "validation": ["2"]}]}
    b = json.loads(json.dumps(a, sort_keys=True))
    assert splits_fingerprint(a) == splits_fingerprint(dict(reversed(list(b.items()))))
    assert splits_fingerprint(a) != splits_fingerprint({**a, "folds": [{"train": ["2"], "validation": ["1"]}]})


# --- the out-of-memory retry's config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("batch", "accumulation", "processes", "retry"),
    [
        (16, 1, 1, (8, 2)),
        (8, 3, 1, (4, 6)),
        (2, 1, 1, (1, 2)),
        (1, 1, 1, None),  # nothing left to halve
        (7, 1, 1, None),  # 3 x 2 would be another recipe than 7 x 1
        (12, 1, 2, (6, 2)),
        (12, 1, 4, None),  # under torchrun the global batch must still split across processes
    ],
)
def test_the_out_of_memory_retry_keeps_the_effective_batch_or_does_not_happen(
    inputs, tmp_path, batch, accumulation, processes, retry
):
    config = build(inputs, tmp_path, {"batch_size": batch, "gradient_accumulation": accumulation})
    halved = with_half_batch(config, processes)
    if retry is None:
        assert halved is None
        return
    assert (halved.optimization.batch_size, halved.optimization.gradient_accumulation) == retry
    assert str(halved.output_dir) == f"{config.output_dir}-oom-retry"
    assert halved.optimization.learning_rate == config.optimization.learning_rate
