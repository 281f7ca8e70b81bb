"""Import TensorFlow without its C++ start-up noise on stderr.

On import TensorFlow's C++ side writes a few lines straight to file descriptor 2 ("WARNING: All log messages
before absl::InitializeLog() is called are written to STDERR", "Could not find cuda drivers ...") before
``TF_CPP_MIN_LOG_LEVEL`` takes effect, so the variable cannot hide them. :func:`import_tensorflow` imports it
with descriptor 2 pointed at a temporary file and then writes back every captured line that is not one of
those known start-up lines: a real error or warning is still shown.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

from gan1d import errors
from gan1d.errors import phase

# The start-up lines of a CPU-only machine; anything else captured during the import is passed through.
STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|cudart_stub\.cc.*(Could not find cuda drivers|cudart)"
    r"|cuda_platform\.cc.*failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
)


def filter_startup_noise(text: str) -> str:
    """``text`` without the lines that match :data:`STARTUP_NOISE` (line endings kept)."""
    return "".join(line for line in text.splitlines(keepends=True) if not STARTUP_NOISE.search(line))


def use_compile_cache(directory: Path | None) -> None:
    """Point XLA's persistent compilation cache at ``directory`` (None: no cache). Call before TensorFlow
    compiles anything. A program compiled once with the same shapes and constants is then loaded
    from disk by every later process instead of being compiled again (it is the same executable,
    so outputs do not change)."""
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    flag = f"--tf_xla_persistent_cache_directory={directory}"
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if flag not in flags:
        os.environ["TF_XLA_FLAGS"] = f"{flags} {flag}".strip()


def import_tensorflow(compile_cache: Path | None = None) -> ModuleType:
    """Import and return ``tensorflow``, dropping only its known start-up lines from stderr; with
    ``compile_cache``, XLA's compiled programs are cached in that folder (:func:`use_compile_cache`)."""
    use_compile_cache(compile_cache)
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    # Keras imports matplotlib.pyplot (0.4 s) for image galleries if it can; gan1d's TF code never plots.
    blocked = [] if "matplotlib" in sys.modules else ["matplotlib", "matplotlib.pyplot"]
    phase("tensorflow")
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        errors.STDERR[0] = saved  # an interrupt during the import still reaches the terminal
        try:
            sys.modules.update(dict.fromkeys(blocked))  # a None entry makes `import matplotlib` fail
            import tensorflow
        finally:
            for name in blocked:
                del sys.modules[name]
            sys.stderr.flush()
            os.dup2(saved, 2)
            errors.STDERR[0] = 2
            os.close(saved)
            captured.seek(0)
            rest = filter_startup_noise(captured.read().decode("utf8", errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()
    return tensorflow


def prefetch(*modules: str) -> threading.Thread:
    """Import ``modules`` in a background thread while this one computes (TensorFlow releases the
    GIL while a compiled program runs), so a later ``import`` of them finds them loaded."""
    thread = threading.Thread(target=lambda: [importlib.import_module(m) for m in modules], daemon=True)
    thread.start()
    return thread
