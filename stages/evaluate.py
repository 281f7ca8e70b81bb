"""Stage `evaluate`: push a stratified noise grid through the trained generator and score it (NumPy, no TensorFlow)."""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data
from gan1d.config import load_params
from gan1d.errors import phase, run_main
from gan1d.inference import load_generator, score
from gan1d.io import write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--generator", required=True, help="input: trained generator weights (.weights.h5)")
    ap.add_argument("--real", required=True, help="input: the real data set (a data target's training part)")
    ap.add_argument("--heldout", required=True, help="input: a data target's held-out part")
    ap.add_argument("--metrics", required=True, help="output: metrics (JSON)")
    ap.add_argument("--samples", required=True, help="output: generated samples (Parquet)")
    args = ap.parse_args()
    params = load_params(args.params)
    phase("scoring")
    params, target, train = data.target_of(params, args.real, args.heldout)
    samples, metrics = score(load_generator(args.generator), params, target, train)
    data.write_samples(args.samples, samples)
    write_json(args.metrics, metrics)
    print(
        f"evaluate: W1 {metrics['w1']:.4f}  KS {metrics['ks']:.4f}  JS {metrics['js']:.4f}  "
        f"mean {metrics['mean']:.3f}  std/sigma {metrics['std_ratio']:.3f}"
        + (
            f"  (training part itself: W1 {metrics['baseline_w1']:.4f} KS {metrics['baseline_ks']:.4f}"
            f"{'' if metrics['baseline_success'] else ', fails the held-out test too: an unlucky split'})"
            if train is not None
            else ""
        )
    )


if __name__ == "__main__":
    run_main(main)
