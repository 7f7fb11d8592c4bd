"""data_processing: raw corpus (and extra training corpora) -> corpus, label schema, near-duplicate groups,
hold-out split, folds, report."""

from kedro.pipeline import Node, Pipeline

from resume_ner.pipelines.data_processing import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(nodes.map_labels, ["raw_corpus", "params:corpus"], "mapped_corpus", name="map_labels"),
            Node(nodes.resolve_overlaps, ["mapped_corpus", "params:corpus"], "main_corpus", name="resolve_overlaps"),
            Node(
                nodes.prepare_extra_corpora,
                ["extra_corpora", "main_corpus", "params:extra_corpora", "params:corpus", "params:splits"],
                ["extra_training_documents", "extra_corpora_report"],
                name="prepare_extra_corpora",
            ),
            Node(nodes.join_corpora, ["main_corpus", "extra_training_documents"], "corpus", name="join_corpora"),
            Node(nodes.build_label_schema, "corpus", "label_schema", name="build_label_schema"),
            Node(
                nodes.group_near_duplicates,
                ["corpus", "params:splits"],
                "document_groups",
                name="group_near_duplicates",
            ),
            Node(
                nodes.split_holdout,
                ["corpus", "document_groups", "extra_training_documents", "params:splits"],
                "holdout_split",
                name="split_holdout",
            ),
            Node(
                nodes.make_folds,
                ["corpus", "document_groups", "holdout_split", "params:splits"],
                "folds",
                name="make_folds",
            ),
            Node(
                nodes.summarise_corpus,
                ["corpus", "holdout_split", "folds", "extra_corpora_report"],
                "corpus_report",
                name="summarise_corpus",
            ),
        ]
    )
