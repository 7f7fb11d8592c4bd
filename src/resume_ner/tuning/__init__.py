"""Optuna glue and what a study hands on to refit and final training (the best-params record)."""
