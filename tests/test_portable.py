"""The same bytes on every x86-64 CPU: NumPy pinned to its baseline code paths, XLA independent of AVX-512.

NumPy chooses a SIMD implementation of exp, log, tanh, power, ... by the CPU's extensions when it loads, and
the AVX-512, AVX2 and baseline implementations differ in the last bits. gan1d pins the choice to the baseline
(gan1d/__init__.py). These tests simulate a CPU with fewer extensions on this one: NumPy honours
NPY_DISABLE_CPU_FEATURES and XLA honours --xla_cpu_max_isa.
"""

import platform
import subprocess
import sys

import pytest

from conftest import run_env

X86 = platform.machine().lower() in ("x86_64", "amd64")
FEATURES = "from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f; "


def python(code: str, **env: str) -> str:
    full = {k: v for k, v in run_env().items() if not k.startswith("NPY_")}  # gan1d set them in this process
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True
    ).stdout.strip()


def wider_extensions() -> list[str]:
    """NumPy's dispatch targets beyond the baseline that this CPU has (as NumPy sees it without gan1d)."""
    if not X86:
        return []
    out = python("import numpy; " + FEATURES + "print(' '.join(x for x in d if f.get(x) and x != 'X86_V2'))")
    return out.split()


def avx512() -> bool:
    """Whether XLA can compile for AVX-512 here (tests/test_reliability.py compares with an AVX2 build)."""
    try:
        return "avx512f" in open("/proc/cpuinfo").read()
    except OSError:
        return False


UFUNCS = (
    "import numpy as np, hashlib; x = np.linspace(-20, 20, 100001); "
    "print([hashlib.md5(g(x).tobytes()).hexdigest() for g in "
    "(np.exp, np.tanh, np.arctan, lambda v: np.log(np.abs(v) + 1), lambda v: np.power(np.abs(v), 0.3))])"
)


def test_gan1d_pins_numpy_to_its_baseline_whatever_the_environment_says():
    if not wider_extensions():
        pytest.skip("NumPy finds no SIMD extension beyond its baseline on this CPU: there is no dispatch to pin")
    code = "import gan1d, numpy; print(gan1d.portable_numpy())"
    assert python(code) == "True"
    assert python(code, NPY_DISABLE_CPU_FEATURES="X86_V4") == "True"  # a user's setting cannot unpin it
    assert python("import numpy, gan1d; print(gan1d.portable_numpy())") == "False"  # too late: NumPy loaded first


def test_this_cpus_numpy_really_computes_other_bits_without_the_pin():
    """The check below has teeth: without the pin, NumPy's own results change with the extensions it may use."""
    wider = wider_extensions()
    if not wider:
        pytest.skip("NumPy finds no SIMD extension beyond its baseline on this CPU: nothing to compare")
    native = python(UFUNCS)
    baseline = python(UFUNCS, NPY_DISABLE_CPU_FEATURES=" ".join(wider))
    assert native != baseline
    assert python("import gan1d; " + UFUNCS) == baseline
