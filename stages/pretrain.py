"""Stage `pretrain`: regress a copy of the discriminator onto the target pdf; write its weights.

Under a recipe that does not pretrain (``train.use_pretrained: false``) the stage trains nothing and
imports no TensorFlow: it writes a placeholder weights file whose bytes never change, so changing a
``pretrain`` key reruns only this cheap stage, and `train` (whose input hash stays the same) does not.
"""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data, runtime
from gan1d.config import load_params
from gan1d.errors import phase, run_main
from gan1d.io import write_json, write_placeholder_weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", required=True, help="input: pretraining set (Parquet)")
    ap.add_argument("--real", required=True, help="input: the real data set (a data target's training part)")
    ap.add_argument("--heldout", required=True, help="input: a data target's held-out part")
    ap.add_argument("--weights", required=True, help="output: discriminator weights (.weights.h5)")
    ap.add_argument("--metrics", required=True, help="output: metrics (JSON)")
    args = ap.parse_args()
    params = load_params(args.params)
    if not params.train.use_pretrained:
        write_placeholder_weights(args.weights, "train.use_pretrained is false: the recipe does not pretrain D")
        write_json(args.metrics, {"pretrained": False})
        print("pretrain: skipped (train.use_pretrained is false); wrote the placeholder weights file")
        return
    x, pdf = data.read_pretrain(args.data, params)
    params, _, _ = data.target_of(params, args.real, args.heldout)  # a data target: D's scaling from its data

    from gan1d.quiet import import_tensorflow

    import_tensorflow(
        runtime.from_environ().compile_cache
    )  # cached XLA programs; keeps TF's C++ start-up lines off stderr
    from gan1d import engine, training, writers  # TensorFlow: imported only once the inputs are known to be good

    engine.set_seed(params.seed)
    phase("training")
    result = training.pretrain(params, x[None], pdf[None], [params.seed])
    writers.check_finite(result.losses, "the pretraining loss")
    writers.save_weights(args.weights, result.discriminator)
    final = float(result.losses[-1, 0])
    write_json(args.metrics, {"pretrained": True, "final_loss": round(final, 8)})
    print(f"pretrain: {params.pretrain.steps} steps, final loss {final:.6f}")


if __name__ == "__main__":
    run_main(main, exit_fast=True)  # skips TensorFlow's teardown
