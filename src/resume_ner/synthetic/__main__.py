"""Entry point for ``python -m resume_ner.synthetic``; the command line itself is in ``cli``."""

from resume_ner.synthetic.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
