"""The template: plan -> snapshot inputs -> prepare the run config -> record lineage -> build command and
environment -> execute -> collect outputs -> export for serving. Node names are the names of the functions they run.

Free inputs: ``best_params``, ``corpus``, ``folds``, ``label_schema``, ``model_workspace``; parameters
``params:training`` (shared) and ``params:run`` (per namespace). Outputs: ``model``, ``metrics``, ``lineage``,
``onnx_model``.
"""

from kedro.pipeline import Node, Pipeline

from resume_ner.execution import steps
from resume_ner.execution.launchers import LAUNCHES_TRAINING
from resume_ner.pipelines.training_run import nodes

SHARED_INPUTS = {"best_params", "corpus", "folds", "label_schema", "model_workspace"}
SHARED_PARAMETERS = {"params:training"}


def _node(func, inputs, outputs, tags=None) -> Node:
    return Node(func, inputs, outputs, name=func.__name__, tags=tags)


def create_pipeline(warm_start: bool = False, **kwargs) -> Pipeline:
    """The template; with ``warm_start`` the plan also reads ``init_model`` (a checkpoint) and may continue from it
    (``run.init``)."""
    plan_inputs = ["best_params", "params:run", "params:training", "model_workspace"]
    return Pipeline(
        [
            _node(nodes.plan_training_run, plan_inputs + (["init_model"] if warm_start else []), "plan"),
            _node(nodes.snapshot_run_inputs, ["plan", "corpus", "folds", "label_schema"], "run_inputs"),
            _node(steps.prepare_run_config, ["plan", "run_inputs", "params:training"], "run_config"),
            _node(nodes.record_lineage, ["plan", "run_config"], "run_lineage"),
            _node(steps.build_command, ["run_config", "params:training"], "command"),
            _node(steps.build_environment, ["run_config", "params:training"], "environment"),
            _node(
                steps.execute_run,
                ["command", "environment", "run_config", "params:training"],
                "run_result",
                tags=LAUNCHES_TRAINING,
            ),
            _node(nodes.collect_training_outputs, ["run_result", "run_lineage"], ["model", "metrics", "lineage"]),
            _node(nodes.export_model, ["model", "run_result"], "onnx_model"),
        ]
    )
