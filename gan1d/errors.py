"""The errors gan1d reports to users as one line, and the wrapper that does it."""

from __future__ import annotations

import os
import signal
import sys
from typing import Callable, NoReturn


class Gan1dError(Exception):
    """An error the user can fix; its message is printed as one line, with no traceback."""

    exit_code = 1


class ConfigError(Gan1dError):
    """A bad params.yaml: the message names the key, the value and what is allowed."""

    exit_code = 2


class ArtifactError(Gan1dError):
    """A missing or damaged input file: the message names the file and how to restore it."""

    exit_code = 3


class DivergenceError(Gan1dError):
    """Training produced a non-finite loss or weight."""

    exit_code = 4


def _raise_interrupt(signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def run_main(main: Callable[[], None], exit_fast: bool = False) -> None:
    """Run a stage's ``main`` and turn known failures into one line on stderr and an exit code.

    SIGTERM is treated like Ctrl-C so that atomic writes clean up their temporary files. With
    ``exit_fast`` (a stage script's top level only) a successful run ends the process at once:
    :func:`exit_now`.
    """
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        main()
        if exit_fast:
            exit_now()
    except Gan1dError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt as err:
        name = str(err) or "SIGINT"
        print(f"interrupted ({name}): no output was left half-written; rerun `dvc repro` (training resumes from its last resume point)", file=sys.stderr)
        sys.exit(130)


def exit_now(code: int = 0) -> NoReturn:
    """Exit with ``code`` at once if TensorFlow is loaded, else normally.

    TensorFlow's teardown at interpreter exit takes ~0.8 s and does nothing a finished stage needs:
    every output is already written, closed and renamed into place. So a stage that imported it
    flushes its streams and leaves with ``os._exit``.
    """
    if "tensorflow" not in sys.modules:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
