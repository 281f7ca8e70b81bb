"""gan1d: a reproducible 1-D GAN lab (library behind the DVC stages in stages/)."""

import os
import platform

# Set before any module imports TensorFlow: hide its C++ log lines (failures still surface as
# Python exceptions; on a machine without a GPU it logs a CUDA "error" on every start), and turn off oneDNN's
# custom kernels, whose results may depend on the CPU and its thread count.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# Set before NumPy loads: NumPy picks a SIMD implementation of exp, log, tanh, power, ... by the CPU's
# extensions at start-up, and its AVX-512 and AVX2 code differ from the baseline's in the last bits (so
# do SciPy's distributions, which call them). Pinned to the x86-64 baseline, every x86-64 CPU computes
# the same bits, so dvc.lock is the same on every machine (docs/design.md#determinism). This overrides the
# user's NPY_*_CPU_FEATURES on purpose; a process that imported NumPy before gan1d keeps its dispatch
# (`gan1d.portable_numpy()` tells; the stage scripts import gan1d first).
BASELINE = "X86_V2"
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.pop("NPY_DISABLE_CPU_FEATURES", None)
    os.environ["NPY_ENABLE_CPU_FEATURES"] = BASELINE


def portable_numpy() -> bool:
    """True when NumPy runs only its baseline code paths (or the machine is not x86-64)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return not any(__cpu_features__.get(f) for f in __cpu_dispatch__ if f != BASELINE)


__version__ = "0.1.0"
