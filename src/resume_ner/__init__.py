"""resume-ner: fine-tune transformer encoders to find entities in resumes."""

from resume_ner.logs import silence_library_notices

__version__ = "0.1.0"

silence_library_notices()
