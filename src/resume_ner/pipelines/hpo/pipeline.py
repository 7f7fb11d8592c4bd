"""hpo: prepare the study -> plan it (calibrated to the budget) -> run it (every trial trains each fold in a child
process) -> report it."""

from kedro.pipeline import Node, Pipeline

from resume_ner.execution.launchers import LAUNCHES_TRAINING
from resume_ner.pipelines.hpo import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.prepare_study,
                ["corpus", "folds", "label_schema", "model_workspace", "params:hpo", "params:training"],
                "study_spec",
                name="prepare_study",
            ),
            Node(
                nodes.plan_study,
                ["study_spec", "corpus", "folds", "label_schema", "params:hpo", "params:training"],
                "study_plan",
                name="plan_study",
            ),
            Node(
                nodes.run_study,
                ["study_spec", "study_plan", "optuna_storage", "params:hpo", "params:training"],
                "study",
                name="run_study",
                tags=LAUNCHES_TRAINING,
            ),
            Node(
                nodes.report_study,
                ["study", "optuna_storage"],
                [
                    "best_params",
                    "trials_table",
                    "study_summary",
                    "hpo_optimization_history",
                    "hpo_param_importances",
                    "hpo_parallel_coordinate",
                    "hpo_intermediate_values",
                ],
                name="report_study",
            ),
        ]
    )
