"""Stage `sample`: the real data set, the held-out part and the pretraining set as Parquet (no TensorFlow).

    python stages/sample.py --real data/sample/real.parquet --heldout data/sample/heldout.parquet \\
        --pretrain data/sample/pretrain.parquet

A family target: ``data.n_real`` draws, no held-out part (an empty table). A data target: its file's column
split into a training part (the real data set) and a held-out part (``target.holdout`` of the values).
"""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data, datafile
from gan1d.config import load_params
from gan1d.errors import phase, run_main

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--real", required=True, help="output: real samples (Parquet)")
    ap.add_argument("--heldout", required=True, help="output: a data target's held-out part (Parquet; empty otherwise)")
    ap.add_argument("--pretrain", required=True, help="output: pretraining inputs and pdf labels (Parquet)")
    args = ap.parse_args()
    params = load_params(args.params)
    phase("sampling")
    if params.target.data is not None:
        real, heldout = datafile.load(params)
    else:
        real, heldout = data.draw_real(params, params.seed), np.zeros(0)
    x, pdf = data.draw_pretrain(params, params.seed, real)
    data.write_real(args.real, real)
    data.write_real(args.heldout, heldout)
    data.write_pretrain(args.pretrain, x, pdf)
    held = f", {len(heldout)} held out" if len(heldout) else ""
    print(
        f"sample: {len(real)} real samples (mean {real.mean():.3f}, std {real.std():.3f}){held}, {len(x)} pretraining points"
    )


if __name__ == "__main__":
    run_main(main)
