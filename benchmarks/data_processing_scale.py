"""Scale of the data_processing pipeline: wall time and peak memory of a real ``kedro run`` per corpus size.

For each size the synthetic generator writes a corpus (``python -m resume_ner.synthetic --documents N
--seed S``, kept in ``--data-dir`` for the next run: empty it after changing the generator), and
``kedro run --pipelines=data_processing`` runs as a child process in a throw-away copy of this project
(``conf/base``, ``conf/logging.yml``, ``pyproject.toml``, an empty ``src/``, ``conf/local/catalog.yml`` pointing
``raw_corpus`` at the generated file, MLflow tracking to a SQLite file inside the copy). Per size it records:

- wall time of the child (launch to exit, Kedro's and MLflow's start-up included) and its CPU time (user + sys);
- peak RSS of the child (its own ``ru_maxrss`` from ``os.wait4``);
- a breakdown by phase, from the time each log line reaches the parent: ``read`` is launch to the first
  "Running node" line (start-up and loading the raw corpus), then each node from its "Running node" line to the
  next one (the node, saving its outputs and loading the next node's inputs), the last node until exit;
- the near-duplicate groups the run found (count, documents, a sha256 of ``document_groups.json``'s groups) and
  the same digest for the hold-out split and folds, so that runs of two code versions can be compared for equal
  results.

Then, between consecutive sizes, the growth of wall time and peak RSS against the growth of n log n.

The machine may be shared. Before each size the script waits until the 1-minute load average is at most
``--max-load`` (default 1.5). A size whose wall time exceeds its CPU time by more than 30 % was waiting for a CPU
(the pipeline runs on one core) and is run again, once; both attempts are kept in the JSON. A size that runs past
``--timeout`` seconds (default 900; 300 to stop slow code at five minutes), or whose memory passes ``--max-rss-gb``
(default 12 GB, on a shared machine), is stopped and reported as such ("timeout", "memory"): its figures are then
lower bounds.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python benchmarks/data_processing_scale.py                          # 300 ... 100,000 documents
    .venv/bin/python benchmarks/data_processing_scale.py --sizes 300,3000 --json scale.json
    # another version of the code (e.g. a `git worktree` of an older commit) under the same benchmark:
    .venv/bin/python benchmarks/data_processing_scale.py --pythonpath /tmp/before/src --label before

The project copies go to a temporary folder that is removed at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import machine_info, write_figures  # benchmarks/machine.py

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (300, 3_000, 12_600, 30_000, 100_000)
NODES = (
    "map_labels",
    "resolve_overlaps",
    "build_label_schema",
    "group_near_duplicates",
    "split_holdout",
    "make_folds",
    "summarise_corpus",
)
RUNNING_NODE = re.compile(r"Running node: (\w+):")
# Wall time above CPU time by this factor means the single-threaded run waited for a CPU: other load.
DISTURBED_WALL_OVER_CPU = 1.3
LOAD_POLL_SECONDS = 15


def corpus_file(data_dir: Path, documents: int, seed: int) -> Path:
    """The generated corpus of ``documents`` resumes, written once and reused by later runs."""
    path = data_dir / f"synthetic_{documents}_seed{seed}.json"
    if not path.exists():
        print(f"generating {documents:,} documents -> {path}", flush=True)
        partial = path.with_suffix(".partial.json")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "resume_ner.synthetic",
                "--output",
                str(partial),
                "--documents",
                str(documents),
                "--seed",
                str(seed),
            ],
            check=True,
            cwd=REPO_ROOT,
        )
        partial.rename(path)
    return path


def project_copy(root: Path, raw_corpus: Path) -> Path:
    """A throw-away copy of this Kedro project whose ``raw_corpus`` is ``raw_corpus`` (as tests/conftest.py's)."""
    project = root / "project"
    shutil.copytree(REPO_ROOT / "conf" / "base", project / "conf" / "base")
    shutil.copy(REPO_ROOT / "conf" / "logging.yml", project / "conf" / "logging.yml")
    (project / "conf" / "local").mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "src").mkdir()  # the package itself is imported from the virtualenv (or --pythonpath)
    for layer in sorted(path.name for path in (REPO_ROOT / "data").iterdir() if path.is_dir()):
        (project / "data" / layer).mkdir(parents=True)
    (project / "conf" / "local" / "catalog.yml").write_text(
        f"raw_corpus:\n  type: resume_ner.datasets.CorpusDataset\n  filepath: {raw_corpus}\n  format: json\n",
        encoding="utf-8",
    )
    return project


def wait_for_quiet_machine(max_load: float, max_wait: float) -> float:
    """Wait (up to ``max_wait`` seconds) until the 1-minute load average is at most ``max_load``; return it."""
    waited = 0.0
    load = os.getloadavg()[0]
    while load > max_load and waited < max_wait:
        print(
            f"  load average {load:.2f} > {max_load}: waiting for the machine to quieten ({waited:.0f} s so far)",
            flush=True,
        )
        time.sleep(LOAD_POLL_SECONDS)
        waited += LOAD_POLL_SECONDS
        load = os.getloadavg()[0]
    if load > max_load:
        print(f"  load average still {load:.2f} after {waited:.0f} s: measuring anyway (figures flagged)", flush=True)
    return load


def rss_mb(pid: int) -> float:
    """The current resident set size of process ``pid`` (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def run_pipeline(project: Path, timeout: float, max_rss_mb: float, pythonpath: str | None) -> dict:
    """``kedro run --pipelines=data_processing`` in ``project`` as a child: wall, CPU, peak RSS, phases, log tail.

    The child is stopped after ``timeout`` seconds, or as soon as its RSS passes ``max_rss_mb`` (the machine is
    shared: a run heading for all its memory would take other people's jobs with it)."""
    env = dict(
        os.environ,
        KEDRO_DISABLE_TELEMETRY="1",
        RESUME_NER_PROGRESS="0",
        MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}",
    )
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "kedro", "run", "--pipelines=data_processing"]
    started = time.monotonic()
    child = subprocess.Popen(
        command,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[tuple[float, str]] = []

    def read_output() -> None:
        for line in child.stdout:
            lines.append((time.monotonic() - started, line.rstrip("\n")))

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    stopped: list[str] = []
    samples: list[tuple[float, float]] = []  # (seconds since launch, RSS MB), to attribute memory to phases
    exited = threading.Event()

    def watch() -> None:
        while not exited.wait(0.25):
            samples.append((time.monotonic() - started, rss_mb(child.pid)))
            reason = "timeout" if samples[-1][0] > timeout else "memory" if samples[-1][1] > max_rss_mb else None
            if reason:
                stopped.append(reason)
                os.killpg(child.pid, signal.SIGKILL)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    exited.set()
    child.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    starts = [(at, match.group(1)) for at, line in lines if (match := RUNNING_NODE.search(line))]
    bounds = [(0.0, "read")] + starts + [(wall, None)]
    phases, phase_rss = {}, {}
    for (at, name), (next_at, _) in itertools.pairwise(bounds):
        phases[name] = next_at - at
        phase_rss[name] = max((rss for when, rss in samples if at <= when < next_at), default=0.0)
    return {
        "status": stopped[0] if stopped else ("ok" if child.returncode == 0 else "failed"),
        "returncode": child.returncode,
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "phases_seconds": phases,
        "phases_peak_rss_mb": phase_rss,  # sampled every 0.25 s
        "log_tail": [line for _, line in lines[-15:]],
        "log_lines": [line for _, line in lines if "resume_ner" in line][:40],
    }


def digest(value) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def results_of(project: Path) -> dict:
    """What the run decided: near-duplicate groups and splits, as counts and digests to compare runs by."""
    data = project / "data"
    paths = {
        "groups": data / "02_intermediate" / "document_groups.json",
        "holdout": data / "05_model_input" / "holdout_split.json",
        "folds": data / "05_model_input" / "folds.json",
    }
    if not all(path.exists() for path in paths.values()):
        return {}
    groups = json.loads(paths["groups"].read_text())["groups"]
    shared = [group for group in groups if len(group) > 1]
    holdout = json.loads(paths["holdout"].read_text())
    folds = json.loads(paths["folds"].read_text())
    return {
        "near_duplicate_groups": len(shared),
        "documents_in_groups": sum(map(len, shared)),
        "groups_digest": digest(groups),
        "holdout_digest": digest([holdout["train"], holdout["holdout"]]),
        "folds_digest": digest([fold["validation"] for fold in folds["folds"]]),
    }


def measure(documents: int, args: argparse.Namespace, workdir: Path) -> dict:
    """One size, run again once if other load disturbed it."""
    raw = corpus_file(args.data_dir, documents, args.seed)
    attempts = []
    for attempt in range(2):
        load_before = wait_for_quiet_machine(args.max_load, args.max_wait)
        root = workdir / f"n{documents}-{attempt}"
        project = project_copy(root, raw)
        print(f"  {documents:,} documents (attempt {attempt + 1}), load average {load_before:.2f} ...", flush=True)
        run = run_pipeline(project, args.timeout, args.max_rss_gb * 1024, args.pythonpath)
        run.update(
            load_average_before=load_before,
            load_average_after=os.getloadavg()[0],
            results=results_of(project) if run["status"] == "ok" else {},
        )
        run["disturbed"] = (
            run["status"] == "ok" and run["wall_seconds"] > DISTURBED_WALL_OVER_CPU * run["cpu_seconds"]
        ) or load_before > args.max_load
        attempts.append(run)
        print(
            f"    {run['status']}: wall {run['wall_seconds']:.1f} s, CPU {run['cpu_seconds']:.1f} s, "
            f"peak RSS {run['peak_rss_mb']:.0f} MB, load after {run['load_average_after']:.2f}"
            + (" (disturbed)" if run["disturbed"] else ""),
            flush=True,
        )
        if run["status"] == "failed":
            print("    " + "\n    ".join(run["log_tail"]), flush=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        if not run["disturbed"]:
            break
    best = min(attempts, key=lambda run: (run["disturbed"], run["wall_seconds"]))
    return {
        "documents": documents,
        "file_mb": raw.stat().st_size / 2**20,
        **best,
        "attempts": len(attempts),
        "all_attempts": attempts,
    }


def n_log_n(n: int) -> float:
    return n * math.log(n)


def growth(rows: list[dict]) -> list[dict]:
    """Between consecutive finished sizes: wall and peak-RSS ratios against the n log n ratio."""
    finished = [row for row in rows if row["status"] == "ok"]
    return [
        {
            "from": small["documents"],
            "to": large["documents"],
            "documents_ratio": large["documents"] / small["documents"],
            "n_log_n_ratio": n_log_n(large["documents"]) / n_log_n(small["documents"]),
            "wall_ratio": large["wall_seconds"] / small["wall_seconds"],
            "peak_rss_ratio": large["peak_rss_mb"] / small["peak_rss_mb"],
        }
        for small, large in itertools.pairwise(finished)
    ]


def print_tables(rows: list[dict], ratios: list[dict], label: str) -> None:
    print(f"\n{label}: kedro run --pipelines=data_processing")
    print(
        "| documents | file MB | status | wall s | CPU s | peak RSS MB | read s | map s | overlaps s | schema s "
        "| near-dup s | holdout s | folds s | report s | groups (docs) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        phases = row["phases_seconds"]
        results = row.get("results") or {}

        def phase(name: str, phases: dict = phases) -> str:
            return f"{phases[name]:.1f}" if name in phases else "-"

        groups = f"{results['near_duplicate_groups']:,} ({results['documents_in_groups']:,})" if results else "-"
        print(
            f"| {row['documents']:,} | {row['file_mb']:.0f} | {row['status']}{' *' if row['disturbed'] else ''} "
            f"| {row['wall_seconds']:.1f} | {row['cpu_seconds']:.1f} | {row['peak_rss_mb']:,.0f} "
            f"| {phase('read')} | {phase('map_labels')} | {phase('resolve_overlaps')} "
            f"| {phase('build_label_schema')} "
            f"| {phase('group_near_duplicates')} "
            f"| {phase('split_holdout')} | {phase('make_folds')} | {phase('summarise_corpus')} | {groups} |"
        )
    if any(row["disturbed"] for row in rows):
        print("* disturbed by other load (wall > 1.3 x CPU, or a busy machine at the start) even after a rerun")
    if ratios:
        print("\n| sizes | n ratio | n log n ratio | wall ratio | peak RSS ratio | verdict |")
        print("|---|---|---|---|---|---|")
        for ratio in ratios:
            ok = ratio["wall_ratio"] <= ratio["n_log_n_ratio"] and ratio["peak_rss_ratio"] <= ratio["n_log_n_ratio"]
            print(
                f"| {ratio['from']:,} -> {ratio['to']:,} | {ratio['documents_ratio']:.1f} "
                f"| {ratio['n_log_n_ratio']:.2f} | {ratio['wall_ratio']:.2f} | {ratio['peak_rss_ratio']:.2f} "
                f"| {'within n log n' if ok else 'WORSE than n log n'} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated corpus sizes in documents (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: %(default)s)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "resume_ner_scale",
        help="where generated corpora are kept between runs (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="stop a size after this many seconds (default: %(default)s)"
    )
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        default=12,
        help="stop a size whose run passes this much memory (default: %(default)s GB)",
    )
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for this 1-minute load average")
    parser.add_argument("--max-wait", type=float, default=1800, help="longest wait for a quiet machine, seconds")
    parser.add_argument("--pythonpath", help="measure the resume_ner package found here (e.g. an old checkout's src)")
    parser.add_argument("--label", default="this checkout", help="what the figures are of, for the printout")
    parser.add_argument("--keep", action="store_true", help="keep the project copies (printed folder)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    args.data_dir.mkdir(parents=True, exist_ok=True)
    for size in sizes:  # generate before any timing, so generation load does not hit a measurement
        corpus_file(args.data_dir, size, args.seed)
    load_start = os.getloadavg()
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in load_start)}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="data_processing_scale_"))
    rows = []
    try:
        for size in sizes:
            rows.append(measure(size, args, workdir))
    finally:
        if args.keep:
            print(f"project copies kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    load_end = os.getloadavg()
    ratios = growth(rows)
    print_tables(rows, ratios, args.label)
    print(
        f"\nload average at start: {' '.join(f'{v:.2f}' for v in load_start)}; "
        f"at end: {' '.join(f'{v:.2f}' for v in load_end)}"
    )
    if args.json:
        write_figures(
            args.json,
            {
                "label": args.label,
                "pythonpath": args.pythonpath,
                "seed": args.seed,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine_info(),
                "load_average_start": load_start,
                "load_average_end": load_end,
                "sizes": rows,
                "growth": ratios,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
