"""Stage `train`: adversarial training; writes the checkpoint, the frames and the per-step losses."""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import data, runtime
from gan1d.config import load_params
from gan1d.errors import phase, run_main
from gan1d.inference import quality_over_training
from gan1d.io import read_weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--real", required=True, help="input: real samples (Parquet)")
    ap.add_argument("--heldout", required=True, help="input: a data target's held-out part (Parquet)")
    ap.add_argument("--pretrained", required=True, help="input: pretrained discriminator weights")
    ap.add_argument("--checkpoint", required=True, help="output: checkpoint directory")
    ap.add_argument("--generator", required=True, help="output: generator weights (.weights.h5)")
    ap.add_argument("--frames", required=True, help="output: frames (Parquet)")
    ap.add_argument("--live", required=True, help="output: dvclive directory (per-step losses)")
    args = ap.parse_args()
    params = load_params(args.params)
    params, target, _ = data.target_of(params, args.real, args.heldout)
    real = data.read_real(args.real, params)
    if params.train.use_pretrained:
        read_weights(args.pretrained, "discriminator weights")  # fail on a damaged file before importing TF

    from gan1d.quiet import import_tensorflow, prefetch

    rt = runtime.from_environ()
    import_tensorflow(
        rt.compile_cache
    )  # cached XLA programs; before gan1d.engine: keeps TF's C++ start-up lines off stderr
    from gan1d import engine, training, writers
    from gan1d.models import Discriminator, load_weights_by_name

    prefetch("dvclive")  # 0.4 s of imports for write_losses, hidden behind training

    engine.set_seed(params.seed)
    d = None
    if params.train.use_pretrained:
        d = Discriminator(params.model, scaling=params.scaling)
        load_weights_by_name(d, args.pretrained)
    phase("training")
    result = training.train(
        params, real[None], [params.seed], d, resume_dir=rt.resume_dir, resume_every=rt.resume_every
    )
    engine.release_memory()
    if params.train.on_divergence == "stop":
        writers.check_finite(result.losses, "the training loss")
    writers.save_checkpoint(args.checkpoint, result)
    writers.save_weights(args.generator, result.ema_generator)
    reference = real if params.target.data is None else target.values  # a data target: its held-out part
    writers.write_frames(args.frames, result, reference, target, params)
    quality = quality_over_training(result.weights[:, 0], params, target)
    kept = int(result.kept_steps[0])
    writers.write_losses(args.live, result.losses[:, 0], params.train.loss_every, result.frame_steps, quality, kept)
    loss_d, loss_g = result.losses[-1, 0]
    at = quality[list(result.frame_steps).index(kept)]
    print(
        f"train: {params.train.steps} steps, {len(result.frame_steps)} frames, final loss D {loss_d:.4f} G {loss_g:.4f}, "
        f"kept G of step {kept}: W1 {at['w1']:.4f} ({at['w1_std']:.3f} target std)"
    )


if __name__ == "__main__":
    run_main(main, exit_fast=True)  # skips TensorFlow's teardown
