"""The child program (``python -m resume_ner.training``) never imports the parent's side.

The child may import the training package itself, ``tagging`` (windows and labels), ``backbones`` (building or
finding the encoder), ``corpus`` (reading, labels and splits), ``errors``, ``files`` (atomic writes), ``tracking``
(MLflow helpers shared with the hooks) and ``notices`` (the package root's warning filters). It must not import
what starts, follows or orchestrates runs: ``execution``, ``tuning``, ``pipelines``, ``datasets``, ``hooks``,
``cli``, ``progress`` or ``logs`` (nor ``settings`` or ``pipeline_registry``). What the child and the parent share,
the parent imports from the child's side (``training.protocol``, ``training.lifeline``), never the reverse.

Checked twice: statically, every import statement (function-level ones too) of every module the training package
reaches, followed transitively through the package's own modules; and at run time, in a fresh interpreter that
imports every module of the training package.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import resume_ner
import resume_ner.training

PACKAGE_ROOT = Path(resume_ner.__file__).parent
ALLOWED = {"training", "tagging", "backbones", "corpus", "errors", "files", "tracking", "notices"}
PARENT_SIDE = {
    "execution",
    "tuning",
    "pipelines",
    "datasets",
    "hooks",
    "cli",
    "progress",
    "logs",
    "settings",
    "pipeline_registry",
    "__main__",
}
CHILD_MODULES = sorted(
    f"resume_ner.training.{module.name}" for module in pkgutil.iter_modules(resume_ner.training.__path__)
)


def source_of(module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return PACKAGE_ROOT / "__init__.py"
    folder = PACKAGE_ROOT.joinpath(*parts[:-1])
    for candidate in (folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_by(module: str) -> set[str]:
    """The project's modules that ``module``'s source imports anywhere (including inside functions), with the
    packages that importing them runs (``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first)."""
    path = source_of(module)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: the package ``level - 1`` steps above this module's own
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names if source_of(f"{base}.{alias.name}")}
    project = {name for name in names if name == "resume_ner" or name.startswith("resume_ner.")}
    return {".".join(name.split(".")[:depth]) for name in project for depth in range(1, name.count(".") + 2)}


def reachable_from(modules: list[str]) -> dict[str, str]:
    """Every project module the given ones reach, each with the module that first imports it."""
    seen = {module: "(the training package)" for module in modules}
    queue = list(modules)
    while queue:
        module = queue.pop()
        for name in sorted(imported_by(module)):
            if name not in seen and source_of(name):
                seen[name] = module
                queue.append(name)
    return seen


def parent_side(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] not in ALLOWED


def test_no_import_statement_the_child_reaches_names_the_parent_side():
    reached = reachable_from(CHILD_MODULES)
    offending = {module: by for module, by in reached.items() if parent_side(module)}
    assert offending == {}, f"the child reaches the parent's side (module: imported by): {offending}"
    assert {module.split(".")[1] for module in reached if "." in module} <= ALLOWED


def test_the_check_sees_function_level_imports(tmp_path, monkeypatch):
    """The scan must not be fooled by an import inside a function: a module that does so is reported."""
    fake_root = tmp_path / "resume_ner"
    (fake_root / "training").mkdir(parents=True)
    (fake_root / "__init__.py").write_text("")
    (fake_root / "training" / "__init__.py").write_text("")
    (fake_root / "training" / "main.py").write_text("def run():\n    from resume_ner.execution import lifeline\n")
    (fake_root / "execution").mkdir()
    (fake_root / "execution" / "__init__.py").write_text("")
    (fake_root / "execution" / "lifeline.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE_ROOT", fake_root)
    reached = reachable_from(["resume_ner.training.main"])
    assert [module for module in reached if parent_side(module)] == [
        "resume_ner.execution",
        "resume_ner.execution.lifeline",
    ]


@pytest.mark.slow  # a fresh interpreter importing torch and transformers
def test_importing_the_child_program_loads_nothing_of_the_parent_side():
    code = (
        "import importlib, json, sys\n"
        f"for name in {CHILD_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith('resume_ner'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "resume_ner.training.__main__" in loaded and "resume_ner.training.program" in loaded
    assert [module for module in loaded if parent_side(module)] == []
