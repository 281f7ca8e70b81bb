"""gan1d: a reproducible 1-D GAN lab (library behind the DVC stages in stages/)."""

import os

# Set before any module imports TensorFlow: hide its C++ log lines (failures still surface as
# Python exceptions; on a machine without a GPU it logs a CUDA "error" on every start), and turn off oneDNN's
# custom kernels, whose results may depend on the CPU and its thread count.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
