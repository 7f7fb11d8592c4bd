"""Shared fixtures: paths to the repository, the shared real datasets and small hand-made corpora."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from resume_ner.corpus.documents import Corpus, Document, Span

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RESUME_NER_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
DOTIN_JSON = SHARED_DATA / "dotin_resume_ner" / "train.json"
GREEN2022_CONLL = SHARED_DATA / "job_descriptions_green2022" / "testset.conll"
DOTIN_ZIP = SHARED_DATA / "dotin_resume_ner" / "raw" / "545_cvs_train_v2.zip"
DEFAULT_CORPUS = REPO_ROOT / "data" / "01_raw" / "synthetic_resumes.json"

# Set by `.ci/run`: a test that needs the shared real datasets fails where they are missing instead of skipping,
# so CI cannot pass without them.
REQUIRE_SHARED_DATA_VARIABLE = "RESUME_NER_REQUIRE_SHARED_DATA"

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")


def shared_data(path: Path) -> Path:
    """``path`` (a file of the openly licensed test data beside the repository) where it exists; otherwise skip the
    test, saying why, or fail it where ``RESUME_NER_REQUIRE_SHARED_DATA`` is set (CI)."""
    if path.exists():
        return path
    reason = f"needs {path} (the shared real datasets; set RESUME_NER_SHARED_DATA to point elsewhere)"
    if os.environ.get(REQUIRE_SHARED_DATA_VARIABLE, "") not in ("", "0"):
        pytest.fail(
            f"{reason}: {REQUIRE_SHARED_DATA_VARIABLE} is set, so missing shared data is an error, not a skip",
            pytrace=False,
        )
    pytest.skip(reason)


def requires_shared_data(path: Path):
    """A mark for a test that reads ``path`` from the shared real datasets (see ``shared_data``)."""
    return pytest.mark.shared_data(path)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("shared_data"):
        shared_data(*mark.args)


@pytest.fixture(scope="session")
def dotin_corpus() -> Corpus:
    shared_data(DOTIN_JSON)
    from resume_ner.corpus.reading import read_corpus

    return read_corpus(DOTIN_JSON)


@pytest.fixture(scope="session")
def toy_model_checkpoint(tmp_path_factory) -> Path:
    """The trained toy tagger (``toy_model.toy_checkpoint``), trained once per session: tests that change it work
    on a copy."""
    from toy_model import toy_checkpoint

    return toy_checkpoint(tmp_path_factory.mktemp("toy-model"))


@pytest.fixture(scope="session")
def toy_model_onnx(toy_model_checkpoint: Path, tmp_path_factory) -> Path:
    """The toy tagger exported to ONNX (fp32 and int8), once per session."""
    from resume_ner.export.onnx import export_onnx

    return export_onnx(toy_model_checkpoint, tmp_path_factory.mktemp("toy-model-export") / "onnx")


def make_document(doc_id: str, parts: list[str | tuple[str, str]]) -> Document:
    """A document from text pieces; a ``(text, label)`` piece becomes an entity span."""
    text, spans = "", []
    for part in parts:
        if isinstance(part, tuple):
            spans.append(Span(len(text), len(text) + len(part[0]), part[1]))
            text += part[0]
        else:
            text += part
    return Document(doc_id, text, tuple(spans))


@pytest.fixture
def small_corpus() -> Corpus:
    """Twenty short resumes with four entity types, two of them rarer, and one pair of near-duplicates."""
    people = [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
        "Frances Allen",
        "John Backus",
        "Ken Thompson",
        "Radia Perlman",
        "Tim Berners",
        "Leslie Lamport",
        "Margaret Hamilton",
        "Niklaus Wirth",
        "Shafi Goldwasser",
        "Dennis Ritchie",
        "Adele Goldberg",
        "Butler Lampson",
        "Jean Sammet",
        "Robin Milner",
    ]
    documents = []
    for index, name in enumerate(people):
        parts: list = [
            (name, "NAME"),
            "\nSenior engineer at ",
            ("Acme Corp", "COMPANY"),
            " since 2019.\nSkills: ",
            ("Python", "SKILL"),
            ", ",
            ("SQL", "SKILL"),
        ]
        if index % 4 == 0:
            parts += ["\nEmail: ", (f"person{index}@example.com", "EMAIL")]
        parts += [f"\nWorked on project number {index} with team {index * 7 % 11} in building {index * 3}."]
        documents.append(make_document(f"cv-{index:02d}", parts))
    # cv-20 repeats cv-03 with one line changed: a near-duplicate that must stay with it.
    twin = documents[3]
    documents.append(Document("cv-20", twin.text + "\nReferences on request.", twin.spans))
    return Corpus(tuple(documents), source="small_corpus")


def copy_project(tmp_path: Path, raw_corpus: Path | None = None, corpus_format: str = "json") -> Path:
    """A throw-away copy of this Kedro project (conf/base, pyproject, the default corpus) to run sessions in.

    Relative catalog paths resolve against the project folder, so every output lands inside ``tmp_path``.
    With ``raw_corpus``, ``conf/local/catalog.yml`` points the ``raw_corpus`` dataset at that file.
    """
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "conf" / "base", project / "conf" / "base")
    shutil.copy(REPO_ROOT / "conf" / "logging.yml", project / "conf" / "logging.yml")
    (project / "conf" / "local").mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "src").mkdir()  # the package itself is imported from the installed project
    for layer in sorted(path.name for path in (REPO_ROOT / "data").iterdir() if path.is_dir()):
        (project / "data" / layer).mkdir(parents=True)
    shutil.copy(DEFAULT_CORPUS, project / "data" / "01_raw" / DEFAULT_CORPUS.name)
    if raw_corpus is not None:
        (project / "conf" / "local" / "catalog.yml").write_text(
            "raw_corpus:\n"
            "  type: resume_ner.datasets.CorpusDataset\n"
            f"  filepath: {raw_corpus}\n"
            f"  format: {corpus_format}\n",
            encoding="utf-8",
        )
    return project


def run_kedro(project: Path, pipeline: str, runtime_params: dict | None = None) -> dict:
    """``kedro run --pipelines=<pipeline>`` in ``project``, in this process, tracking to its own MLflow file."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlflow.db'}"
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime_params or {}) as session:
        return session.run(pipeline_names=[pipeline])  # type: ignore[call-arg]  # kedro types create() as the ABC


@pytest.fixture(autouse=True)
def _restore_mlflow_tracking_uri():
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    if saved is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = saved


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throw-away PostgreSQL server on 127.0.0.1 for the whole session; yields the SQLAlchemy URL of its
    ``optuna`` database. Skips, saying why, where this machine cannot run one (`.ci/run` installs Debian's package).
    """
    import contextlib

    from postgres_server import PostgresUnavailable, running_postgres

    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(running_postgres(tmp_path_factory.mktemp("postgres")))
        except PostgresUnavailable as reason:
            pytest.skip(f"needs a local PostgreSQL server: {reason} (`.ci/run` installs Debian's postgresql package)")
        yield url


# The main job (`python -m resume_ner`: data_processing, hpo, refit, final_training) in about two minutes on two
# CPU cores: the tiny backbone, short windows and two trials of at most two epochs.
SMALL_MAIN_JOB_PARAMS = {
    "training.base.backbone.name": "tiny-bert",
    "training.base.backbone.num_layers": "null",
    "training.base.tokenization.max_length": "64",
    "training.base.tokenization.stride": "16",
    "training.base.precision": "fp32",
    "hpo.n_trials": "2",
    "hpo.search_space.epochs.high": "2",
}


@pytest.fixture(scope="session")
def small_main_job(tmp_path_factory) -> Path:
    """A project copy (``copy_project``) where ``python -m resume_ner`` has run the whole main job with
    ``SMALL_MAIN_JOB_PARAMS``, tracking to its own ``mlflow.db``; returns the project folder, where ``main-job.log``
    holds what the command printed. Shared by the whole session: tests must only read it."""
    import subprocess
    import sys

    project = copy_project(tmp_path_factory.mktemp("small_main_job"))
    params = ",".join(f"{key}={value}" for key, value in SMALL_MAIN_JOB_PARAMS.items())
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "resume_ner", "--params", params],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    (project / "main-job.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        pytest.fail(f"the small main job failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return project
