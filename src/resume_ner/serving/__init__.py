"""The served model: one folder with what the chosen runtime needs, loaded once as a ``Predictor``; the pyfunc
model's entry point (``predict_entities``) and the Model Registry's champion."""
