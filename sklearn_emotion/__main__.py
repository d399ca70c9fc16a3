"""``python -m sklearn_emotion``: the same command line as ``sklearn-emotion``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
