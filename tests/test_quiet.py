"""gan1d.quiet: TensorFlow's C++ start-up lines stay off stderr; anything else written on import still shows."""

import sys

from gan1d.quiet import filter_startup_noise

from conftest import ROOT, run

NOISE = ("absl::InitializeLog", "cuda drivers", "cudart", "cuInit")
IMPORT = "from gan1d.quiet import import_tensorflow; tf = import_tensorflow(); print(tf.__name__)"


def test_filter_keeps_everything_but_the_startup_lines():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795785190.882086    5860 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"
        "E0000 00:00:1795785188.219174    5818 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
        "E0000 00:00:1.0 1 op_kernel.cc:1] something real broke\n"
    )
    assert filter_startup_noise(text) == "E0000 00:00:1.0 1 op_kernel.cc:1] something real broke\n"


def test_real_tensorflow_import_is_silent():
    # Keras's optional matplotlib import is skipped (0.4 s), and matplotlib still imports afterwards.
    after = (
        "; import sys; print('matplotlib' in sys.modules); import matplotlib.pyplot; print(matplotlib.pyplot.__name__)"
    )
    proc = run([sys.executable, "-c", IMPORT + after + "; sys.stderr.write('own line\\n')"], ROOT)
    assert proc.stdout.split() == ["tensorflow", "False", "matplotlib.pyplot"]
    assert not [n for n in NOISE if n in proc.stderr], proc.stderr
    assert proc.stderr == "own line\n"


def test_other_lines_written_to_fd2_during_import_pass_through(tmp_path):
    # a stand-in `tensorflow` that writes start-up noise and one real error straight to file descriptor 2
    (tmp_path / "tensorflow.py").write_text(
        "import os\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "os.write(2, b'I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine.\\n')\n"
        "os.write(2, b'E0000 loader.cc:7] a real problem\\n')\n"
    )
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); " + IMPORT
    proc = run([sys.executable, "-c", code], ROOT)
    assert proc.stdout.strip() == "tensorflow"
    assert proc.stderr == "E0000 loader.cc:7] a real problem\n"
    plain = run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import tensorflow"], ROOT)
    assert "absl::InitializeLog" in plain.stderr  # without import_tensorflow the noise is there


FAST_EXIT = """
import atexit, sys, types
from gan1d.errors import ConfigError, run_main
if sys.argv[1] == "tf":
    sys.modules["tensorflow"] = types.ModuleType("tensorflow")  # as if a stage had imported it
atexit.register(lambda: print("teardown ran"))
def main():
    print("stage output", end="")  # unflushed: exit_now must flush it
    if sys.argv[2] == "fail":
        raise ConfigError("train.steps: must be > 0")
run_main(main, exit_fast=True)
"""


def test_exit_fast_skips_teardown_only_when_tensorflow_is_loaded():
    with_tf = run([sys.executable, "-c", FAST_EXIT, "tf", "ok"], ROOT)
    assert (with_tf.returncode, with_tf.stdout) == (0, "stage output")
    without_tf = run([sys.executable, "-c", FAST_EXIT, "none", "ok"], ROOT)
    assert (without_tf.returncode, without_tf.stdout) == (0, "stage outputteardown ran\n")
    # an error still exits normally, with its code and one line
    failed = run([sys.executable, "-c", FAST_EXIT, "tf", "fail"], ROOT, check=False)
    assert failed.returncode == 2 and failed.stderr == "error: train.steps: must be > 0\n"
