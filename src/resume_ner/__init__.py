"""resume-ner: fine-tune transformer encoders to find entities in resumes."""

from resume_ner.notices import silence_library_notices

__version__ = "0.1.0"

silence_library_notices()
