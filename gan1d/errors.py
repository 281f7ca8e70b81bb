"""The errors gan1d reports to users as one line, and the wrapper that does it."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from typing import NoReturn


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


# Interrupts (Ctrl-C, SIGTERM) in a stage process. Outside an `unwinding()` region nothing is half-written
# (every output is written through gan1d.atomic), so the stage ends at once: whatever it was doing, importing
# TensorFlow, tracing or training, cannot turn the interrupt into another error. Inside one (an atomic write,
# a pool of worker processes) the interrupt is raised as KeyboardInterrupt so that the region cleans up first.
_unwinding = 0  # depth of unwinding() regions
_interrupted: str | None = None  # the signal's name, once one arrived
STDERR = [2]  # the descriptor of the real stderr (gan1d.quiet points 2 elsewhere while TensorFlow loads)
PAUSE_AT = "GAN1D_PAUSE_AT"  # tests: a phase name at which the stage reports itself and waits for a signal
INTERRUPTED = (
    "interrupted ({}): no output was left half-written; rerun `dvc repro` (training resumes from its last resume point)"
)


def guard() -> None:
    """Install the interrupt handlers of a stage process: the first line of every stage script."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    phase("imports")


def _on_signal(signum: int, _frame: object) -> None:
    global _interrupted
    if _interrupted is not None:
        return  # already on the way out: let the cleanup finish
    _interrupted = signal.Signals(signum).name
    if _unwinding:
        raise KeyboardInterrupt(_interrupted)
    _exit_interrupted()


def _exit_interrupted() -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os.write(STDERR[0], (INTERRUPTED.format(_interrupted or "SIGINT") + "\n").encode())
    os._exit(130)


@contextlib.contextmanager
def unwinding() -> Iterator[None]:
    """A region that must clean up when interrupted: a signal raises KeyboardInterrupt in it (not an exit)."""
    global _unwinding
    if _interrupted is not None:  # an interrupt that some library swallowed: write nothing more
        raise KeyboardInterrupt(_interrupted)
    _unwinding += 1
    try:
        yield
    finally:
        _unwinding -= 1


def phase(name: str) -> None:
    """Mark that the stage reached ``name``; with GAN1D_PAUSE_AT=name, say so on stderr and wait there
    (up to a minute) for a signal: tests place interrupts by phase, not by machine-dependent delays."""
    if os.environ.get(PAUSE_AT) == name:
        print(f"gan1d: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(60)


def run_main(main: Callable[[], None], exit_fast: bool = False) -> None:
    """Run a stage's ``main`` and turn known failures into one line on stderr and an exit code.

    Ctrl-C and SIGTERM end the stage with one line and exit 130 (:func:`guard`; installed here too
    if the script did not). With ``exit_fast`` (a stage script's top level only) a successful run
    ends the process at once: :func:`exit_now`.
    """
    if signal.getsignal(signal.SIGTERM) is not _on_signal:
        guard()
    try:
        main()
        if exit_fast:
            exit_now()
    except Gan1dError as err:
        if _interrupted is not None:
            _exit_interrupted()
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except BaseException:
        if _interrupted is not None:  # a KeyboardInterrupt, or whatever a library made of it
            _exit_interrupted()
        raise


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
