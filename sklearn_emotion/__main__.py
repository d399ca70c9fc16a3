"""``python -m sklearn_emotion`` and the installed ``sklearn-emotion``: the command line."""

import os
import sys


def main() -> None:
    """Load the command line and run it; a Ctrl-C while its libraries load ends the process with 130."""
    try:
        from .cli import console_main
    except KeyboardInterrupt:  # nothing has been done yet
        sys.stderr.write("sklearn-emotion: interrupted.\n")
        sys.stderr.flush()
        os._exit(130)  # without tearing down a native library that was half loaded
    console_main()


if __name__ == "__main__":
    main()
