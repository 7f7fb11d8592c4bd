"""The template: plan -> build config -> record lineage -> build command -> build env -> execute -> outputs.

Free inputs: ``best_params``, ``corpus``, ``folds``, ``label_schema``, ``model_workspace``; parameters
``params:training`` (shared) and ``params:run`` (per namespace). Outputs: ``model``, ``metrics``, ``lineage``.
"""

from kedro.pipeline import Node, Pipeline

from resume_ner.pipelines.training_run import nodes

SHARED_INPUTS = {"best_params", "corpus", "folds", "label_schema", "model_workspace"}
SHARED_PARAMETERS = {"params:training"}


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(nodes.plan_training_run, ["best_params", "params:run", "params:training"], "plan",
                 name="plan_training_run"),
            Node(nodes.prepare_training_run,
                 ["plan", "corpus", "folds", "label_schema", "model_workspace", "params:training"], "run_config",
                 name="build_training_config"),
            Node(nodes.record_lineage, ["plan", "run_config"], "run_lineage", name="record_lineage"),
            Node(nodes.build_command, ["run_config", "params:training"], "command", name="build_training_command"),
            Node(nodes.build_environment, ["run_lineage", "params:training"], "environment",
                 name="build_training_env"),
            Node(nodes.execute_run, ["command", "environment", "run_config", "params:training"], "run_result",
                 name="execute_training"),
            Node(nodes.collect_training_outputs, ["run_result", "run_lineage"], ["model", "metrics", "lineage"],
                 name="collect_training_outputs"),
        ]
    )
