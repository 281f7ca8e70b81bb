"""Stage `sample`: draw the real data set and the pretraining set as Parquet (no TensorFlow)."""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data
from gan1d.config import load_params
from gan1d.errors import phase, run_main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--real", required=True, help="output: real samples (Parquet)")
    ap.add_argument("--pretrain", required=True, help="output: pretraining inputs and pdf labels (Parquet)")
    args = ap.parse_args()
    params = load_params(args.params)
    phase("sampling")
    real = data.draw_real(params, params.seed)
    x, pdf = data.draw_pretrain(params, params.seed)
    data.write_real(args.real, real)
    data.write_pretrain(args.pretrain, x, pdf)
    print(f"sample: {len(real)} real samples (mean {real.mean():.3f}, std {real.std():.3f}), {len(x)} pretraining points")


if __name__ == "__main__":
    run_main(main)
