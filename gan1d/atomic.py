"""Atomic writes: an output is either its old bytes or its new ones, never half-written (standard library only)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from gan1d.errors import phase, unwinding


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``final``; rename it onto ``final`` only if the block succeeds.

    Works for files and directories. The temporary name keeps ``final``'s suffix so tools that
    choose a format by extension (ffmpeg, Keras) still do. Interrupted or failed writes leave
    ``final`` as it was and remove the temporary.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stem, dot, suffixes = final.name.partition(".")
    tmp = final.with_name(f".{stem}.tmp{os.getpid()}{dot}{suffixes}")
    _remove(tmp)
    with unwinding():  # an interrupt in here raises, so that the finally below removes the temporary
        try:
            yield tmp
            phase("writing")
            if final.is_dir():
                # os.replace cannot overwrite a non-empty directory: move the old one aside first, and
                # back if the new one cannot take its place.
                old = final.with_name(f".{final.name}.old{os.getpid()}")
                os.replace(final, old)
                try:
                    os.replace(tmp, final)
                except BaseException:
                    os.replace(old, final)
                    raise
                _remove(old)
            else:
                os.replace(tmp, final)
        finally:
            _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
