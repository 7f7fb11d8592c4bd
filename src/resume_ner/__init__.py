"""resume-ner: fine-tune transformer encoders to find entities in resumes."""

__version__ = "0.1.0"
