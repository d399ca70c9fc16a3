"""``python -m sklearn_emotion``: the same command line as ``sklearn-emotion``."""

from .cli import console_main

if __name__ == "__main__":
    console_main()
