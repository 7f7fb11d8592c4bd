"""Entry point for ``python -m resume_ner.corpus.synthetic``; the command line itself is in ``cli``."""

from resume_ner.corpus.synthetic.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
