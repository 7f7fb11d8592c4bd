"""kedro-viz as users see it: `kedro viz build` and `kedro viz run` on a copy of this project in real subprocesses,
and the built site served on loopback and drawn by headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import copy_project

# kedro-viz builds and serves the site; Chromium draws it.
pytestmark = pytest.mark.slow

KEDRO = str(Path(sys.executable).parent / "kedro")
# The kedro-viz layers of conf/base/catalog.yml, in pipeline order.
LAYERS = ["raw", "intermediate", "primary", "model_input", "models", "reporting"]
NAMESPACES = {"refit", "final_training"}
HPO_PLOTS = ("optimization_history", "param_importances", "parallel_coordinate", "intermediate_values")
# A node named by hand (`name=`), not Kedro's default "func([inputs]) -> [outputs]".
READABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
SERVER_START_TIMEOUT_S = 120
CHROMIUM_TIMEOUT_S = 90
WINDOW = (1400, 900)


def _registered_pipelines() -> dict:
    from kedro.framework.project import configure_project

    from resume_ner.pipeline_registry import register_pipelines

    configure_project("resume_ner")
    return register_pipelines()


def _env(project: Path) -> dict[str, str]:
    # `kedro viz run` asks PyPI for a newer kedro-viz (30 s timeout) at start and on /api/version: a dead proxy makes
    # that fail at once, so the tests never touch the network; loopback stays direct.
    dead_proxy = "http://127.0.0.1:9"
    return dict(
        os.environ,
        KEDRO_DISABLE_TELEMETRY="1",
        MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}",
        HTTP_PROXY=dead_proxy,
        HTTPS_PROXY=dead_proxy,
        http_proxy=dead_proxy,
        https_proxy=dead_proxy,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )


def _write_hpo_plots(folder: Path) -> dict[str, dict]:
    """The four HPO plots of a tiny in-memory Optuna study, saved where the catalog's ``hpo_{plot}`` entries point,
    as the hpo pipeline makes them (``reports.study_plots``, plotly.JSONDataset). Returns their JSON by plot."""
    import optuna
    from kedro_datasets.plotly import JSONDataset

    from resume_ner.tuning import reports

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        learning_rate = trial.suggest_float("learning_rate", 1e-5, 1e-3, log=True)
        epochs = trial.suggest_int("epochs", 1, 3)
        for epoch in range(epochs):
            trial.report(0.5 + 0.1 * epoch + learning_rate * 100, epoch)
        return 0.5 + 0.1 * epochs + learning_rate * 100

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("objective", "micro_f1")
    study.optimize(objective, n_trials=6)
    saved = {}
    for name, figure in reports.study_plots(study).items():
        path = folder / f"{name}.json"
        JSONDataset(filepath=str(path)).save(figure)
        saved[name] = json.loads(path.read_text())
    assert set(saved) == set(HPO_PLOTS)
    return saved


@pytest.fixture(scope="module")
def viz_project(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """A throw-away project copy whose data/08_reporting/hpo/ holds the four HPO plots, and those plots."""
    project = copy_project(tmp_path_factory.mktemp("viz"))
    return project, _write_hpo_plots(project / "data" / "08_reporting" / "hpo")


@pytest.fixture(scope="module")
def viz_build(viz_project) -> Path:
    """`kedro viz build --include-previews` in the project copy: the static site's folder."""
    project, _ = viz_project
    result = subprocess.run(
        [KEDRO, "viz", "build", "--include-previews"],
        cwd=project,
        env=_env(project),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return project / "build"


def _free_port() -> int:
    """A free loopback port below 49152 (`kedro viz run` refuses higher ones, where the OS's own picks lie)."""
    for port in random.sample(range(20000, 49152), 100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on 127.0.0.1 between 20000 and 49151")


def _get_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    with opener.open(url, timeout=30) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def _serving(command: list[str], cwd: Path, env: dict, port: int, log_path: Path) -> Iterator[str]:
    """Runs a web server in its own process group until it answers ``/api/main``; yields its base URL and stops the
    whole group (`kedro viz run` serves from a child process) afterwards."""
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"{command[:3]} exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                _get_json(f"{url}/api/main")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{command[:3]} did not serve {url}/api/main within {SERVER_START_TIMEOUT_S} s:\n"
                        f"{log_path.read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)


def _check_graph(graph: dict, pipeline_id: str, pipeline) -> None:
    """One pipeline's kedro-viz graph against the registered pipeline it draws."""
    assert graph["selected_pipeline"] == pipeline_id
    tasks = [node for node in graph["nodes"] if node["type"] == "task"]
    # The same nodes, each in its namespace's group: kedro-viz names a node without its namespace prefix.
    assert sorted((tuple(node["modular_pipelines"] or ()), node["name"]) for node in tasks) == sorted(
        ((node.namespace,) if node.namespace else (), node.name.rsplit(".", 1)[-1]) for node in pipeline.nodes
    )
    assert all(READABLE_NAME.fullmatch(node["name"]) for node in tasks), [node["name"] for node in tasks]
    namespaces = {node.namespace for node in pipeline.nodes} - {None}
    assert set(graph["modular_pipelines"]) == {"__root__"} | namespaces
    assert {node["name"] for node in graph["nodes"] if node["type"] == "modularPipeline"} == namespaces
    datasets = [node for node in graph["nodes"] if node["type"] == "data"]
    assert {node["name"] for node in datasets} == {
        name for name in pipeline.datasets() if not name.startswith("params:") and name != "parameters"
    }
    unlayered = {node["name"]: node.get("layer") for node in datasets if node.get("layer") not in LAYERS}
    assert not unlayered, f"datasets of {pipeline_id} outside the six layers: {unlayered}"
    assert set(graph["layers"]) <= set(LAYERS)


def test_kedro_viz_build_shows_the_pipeline(viz_project, viz_build):
    """Every registered pipeline, its nodes and namespaces, six layers and the HPO plots' previews, in the build."""
    _, plots = viz_project
    api = viz_build / "api"
    pipelines = _registered_pipelines()
    assert set(pipelines) == {"__default__", "data_processing", "hpo", "refit", "final_training", "inference"}
    main = json.loads((api / "main").read_text())
    assert {pipeline["id"] for pipeline in main["pipelines"]} == set(pipelines)
    assert main["layers"] == LAYERS  # all six, in pipeline order
    _check_graph(main, "__default__", pipelines["__default__"])
    assert {node["name"] for node in main["nodes"] if node["type"] == "modularPipeline"} == NAMESPACES
    assert {path.name for path in (api / "pipelines").iterdir()} == set(pipelines)
    for pipeline_id, pipeline in pipelines.items():
        _check_graph(json.loads((api / "pipelines" / pipeline_id).read_text()), pipeline_id, pipeline)

    # The HPO plots are plotly datasets whose side panel draws the figure itself (the build has it with
    # --include-previews).
    by_name = {node["name"]: node for node in main["nodes"]}
    for plot, figure in plots.items():
        node = by_name[f"hpo_{plot}"]
        assert node["dataset_type"] == "plotly.json_dataset.JSONDataset"
        metadata = json.loads((api / "nodes" / node["id"]).read_text())
        assert metadata["preview_type"] == "PlotlyPreview"
        assert metadata["preview"] == figure and figure["data"], plot


def test_kedro_viz_run_serves_the_graph_and_plot_previews(viz_project, tmp_path):
    project, plots = viz_project
    port = _free_port()
    command = [KEDRO, "viz", "run", "--no-browser", "--host", "127.0.0.1", "--port", str(port)]
    with _serving(command, project, _env(project), port, tmp_path / "kedro_viz_run.log") as url:
        pipelines = _registered_pipelines()
        main = _get_json(f"{url}/api/main")
        assert {pipeline["id"] for pipeline in main["pipelines"]} == set(pipelines)
        assert main["layers"] == LAYERS
        _check_graph(main, "__default__", pipelines["__default__"])
        for pipeline_id in sorted(NAMESPACES):
            _check_graph(_get_json(f"{url}/api/pipelines/{pipeline_id}"), pipeline_id, pipelines[pipeline_id])
        by_name = {node["name"]: node for node in main["nodes"]}
        for plot, figure in plots.items():  # `kedro viz run` previews without being asked
            metadata = _get_json(f"{url}/api/nodes/{by_name[f'hpo_{plot}']['id']}")
            assert metadata["preview_type"] == "PlotlyPreview" and metadata["preview"] == figure, plot


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _headless(chromium: str, url: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
        return subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "--virtual-time-budget=15000",
                *args,
                url,
            ],
            env=env,
            capture_output=True,
            timeout=CHROMIUM_TIMEOUT_S,
            check=False,
        )


class _Flowchart(HTMLParser):
    """What the page drew: the flowchart's nodes (type, full name, label, background classes) and layer names."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.nodes: list[dict] = []
        self.layers: list[str] = []
        self._text: list[str] | None = None
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "g" and "pipeline-node" in classes:
            self.nodes.append(
                {
                    "type": attributes["data-node-type"],
                    "name": attributes["data-node-fullname"],
                    "label": None,
                    "classes": set(),
                }
            )
        elif tag == "rect" and "pipeline-node__bg" in classes and self.nodes:
            self.nodes[-1]["classes"].update(classes)
        elif (tag == "text" and "pipeline-node__text" in classes and self.nodes) or (
            tag == "li" and "pipeline-layer-name" in classes
        ):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("text", "li") and self._text is not None:
            text, self._text = "".join(self._text).strip(), None
            if tag == "text":
                self.nodes[-1]["label"] = text
            else:
                self.layers.append(text)


def _artifacts_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("RESUME_NER_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_chromium_draws_the_built_site(viz_build, tmp_path):
    """The static site of `kedro viz build`, served on loopback, in headless Chromium: the flowchart of __default__
    with its real node names, both namespaces as collapsed groups, the plotly datasets and the six layer bands."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip("needs a chromium binary on PATH to draw the page (`.ci/run` installs Debian's chromium)")
    main = json.loads((viz_build / "api" / "main").read_text())
    by_id = {node["id"]: node for node in main["nodes"]}
    # __default__ opens with both namespaces collapsed: the root level's tasks and datasets, one box per namespace;
    # parameters stay hidden until asked for.
    root_level = {
        (by_id[child["id"]]["type"], by_id[child["id"]]["name"])
        for child in main["modular_pipelines"]["__root__"]["children"]
        if by_id[child["id"]]["type"] != "parameters"
    }
    assert {("modularPipeline", namespace) for namespace in NAMESPACES} <= root_level

    # A first visit opens kedro-viz's feature tour over the lower right of the flowchart: switch it off as the
    # settings' "New feature hints" toggle does (kedro-viz keeps its settings in localStorage), then open the site.
    (viz_build / "without-feature-hints.html").write_text(
        '<script>localStorage.setItem("KedroViz", JSON.stringify({showFeatureHints: false}));'
        'location.replace("/");</script>\n',
        encoding="utf-8",
    )
    port = _free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(viz_build)]
    artifacts = _artifacts_dir(tmp_path)
    with _serving(command, viz_build, dict(os.environ), port, tmp_path / "http_server.log") as url:
        page = f"{url}/without-feature-hints.html"
        dumped = _headless(chromium, page, "--dump-dom")
        assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
        dom = dumped.stdout.decode()
        (artifacts / "kedro-viz-default-pipeline.html").write_text(dom, encoding="utf-8")
        screenshot = artifacts / "kedro-viz-default-pipeline.png"
        shot = _headless(chromium, page, f"--screenshot={screenshot}")
        assert shot.returncode == 0 and screenshot.exists(), shot.stderr.decode(errors="replace")[-2000:]
    print(f"kedro-viz screenshot: {screenshot}")

    assert "Workflow run status" not in dom  # the tour's first card
    drawn = _Flowchart(dom)
    assert {(node["type"], node["name"]) for node in drawn.nodes} == root_level
    assert all(node["label"] == node["name"] for node in drawn.nodes), drawn.nodes
    plotly = {node["name"] for node in drawn.nodes if "pipeline-node__bg--plotly" in node["classes"]}
    assert plotly == {f"hpo_{plot}" for plot in HPO_PLOTS}
    assert drawn.layers == LAYERS
    _assert_graph_drawn(screenshot)


def _assert_graph_drawn(png: Path) -> None:
    """The screenshot is the page at the window's size, not blank, with the flowchart's grey node pills, edges and
    labels on the dark background right of the side panels."""
    from PIL import Image  # Pillow comes with mlflow (matplotlib)

    with Image.open(png) as image:
        assert image.size == WINDOW
        page = image.convert("RGB")
    colours = page.getcolors(WINDOW[0] * WINDOW[1])
    assert colours is not None, f"{png} has more colours than pixels"
    assert len(colours) >= 200, f"{png} looks blank: {len(colours)} colours"
    graph_area = page.crop((700, 40, WINDOW[0], WINDOW[1]))
    # An RGB image: each colour is an (r, g, b) tuple (Pillow's types also allow one float band).
    area_colours: list[tuple[int, tuple[int, int, int]]] = graph_area.getcolors(  # type: ignore[assignment]
        graph_area.width * graph_area.height
    )
    background = max(area_colours)[1]
    drawn = sum(
        count
        for count, (r, g, b) in area_colours
        if max(r, g, b) - min(r, g, b) <= 16 and min(r, g, b) >= min(background) + 20
    )
    assert drawn >= 3000, f"{png}: only {drawn} grey pixels where the flowchart is drawn (background {background})"
