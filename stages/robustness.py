"""Stage `robustness`: train the recipe on many seeds side by side; report how often it works.

The seeds run in worker processes, one per core (``GAN1D_WORKERS``), or on a Dask cluster
(``GAN1D_DASK_SCHEDULER``): see gan1d/runtime.py. The outputs are the same bytes either way.
"""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data, robustness, runtime
from gan1d.config import load_params
from gan1d.errors import phase, run_main
from gan1d.io import write_json, write_table
from gan1d.render import render_seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--real", required=True, help="input: the real data set (a data target's training part)")
    ap.add_argument("--heldout", required=True, help="input: a data target's held-out part")
    ap.add_argument("--metrics", required=True, help="output: summary metrics (JSON)")
    ap.add_argument("--per-seed", required=True, help="output: metrics of every seed (Parquet)")
    ap.add_argument("--samples", required=True, help="output: generated samples of every seed (Parquet)")
    ap.add_argument("--w1-plot", required=True, help="output: every seed's W1 against the success line (PNG)")
    ap.add_argument("--densities", required=True, help="output: every seed's generated density over the target (PNG)")
    args = ap.parse_args()
    params, target, _ = data.target_of(load_params(args.params), args.real, args.heldout)
    phase("training")
    result = robustness.run(params, runtime.from_environ())
    write_table(args.per_seed, result.per_seed_table())
    data.write_samples(args.samples, result.samples, result.seeds)
    render_seeds(
        result.samples,
        result.seeds,
        result.per_seed,
        target,
        params.window,
        params.render,
        args.w1_plot,
        args.densities,
    )
    summary = result.summary()
    write_json(args.metrics, summary)
    print(
        f"robustness: {summary['seeds']} seeds, success rate {summary['success_rate']:.2f} "
        f"(all modes covered {summary['all_modes_rate']:.2f}), median W1 {summary['median_w1']} "
        f"({summary['median_w1_std']} target std), worst W1 {summary['worst_w1']}, NaN {summary['nan_count']}"
    )


if __name__ == "__main__":
    run_main(main, exit_fast=True)  # skips TensorFlow's teardown
