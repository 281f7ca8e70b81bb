"""Speed benchmark: per-step loop vs gan1d's compiled loop, stage wall times, no-op repro, peak memory.

Run from the repository root with the virtual environment active:

    python benchmarks/bench.py [--reps 5]

Loop speeds are steady-state: the per-step loop is timed after its functions are traced, and the
compiled loop over its chunks after the first (which pays for tracing and XLA compilation). Each
figure is the median of ``--reps`` repetitions, measured side by side in this one process. Stage
times come from a cold `dvc repro` (empty cache) of a temporary copy of the repository on the
default params: the main chain with an empty compile cache (cold) and again in a fresh copy with
the cache warm; then each stage forced alone, and `robustness` on 1 and 2 worker processes. The
last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gan1d.config import load_params, parse_params, to_dict

import yaml

ROOT = Path(__file__).resolve().parents[1]


def with_steps(params, section: str, steps: int, **extra):
    raw = to_dict(params)
    raw[section].update(steps=steps, **extra)
    return parse_params(raw)


def naive_train_speed(params, steps: int) -> float:
    """The classic program's loop: NumPy draws each batch, one TF call per D step and per G step."""
    from gan1d import losses, training
    from gan1d.distributions import rng, stratified_noise
    from gan1d.models import Discriminator, Generator, initialize
    from gan1d.targets import Mixture

    import tensorflow as tf

    t = params.train
    g, d = Generator(params.g_model, 1, params.scaling), Discriminator(params.model, 1, params.scaling)
    initialize(g, [params.seed], params.model.bias_stddev)
    initialize(d, [params.seed], params.model.bias_stddev)
    d_opt, g_opt = training.make_optimizer(t.d_optimizer, steps), training.make_optimizer(t.g_optimizer, steps)
    target = Mixture.from_config(params.target)
    gen = rng(params.seed, "naive")

    @tf.function
    def d_step(x, z):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.discriminator_loss(d(x), d(g(z))))
        d_opt.apply_gradients(zip(tape.gradient(loss, d.trainable_variables), d.trainable_variables))
        return loss

    @tf.function
    def g_step(z):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.generator_loss_non_saturating(d(g(z))))
        g_opt.apply_gradients(zip(tape.gradient(loss, g.trainable_variables), g.trainable_variables))
        return loss

    def batch(values):
        return tf.constant(values.reshape(1, -1, 1), tf.float32)

    def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            d_step(batch(target.sample(gen, t.batch)), batch(stratified_noise(gen, params.noise, t.batch)))
            g_step(batch(stratified_noise(gen, params.noise, t.batch)))
        return time.perf_counter() - start

    run(20)  # trace both functions
    return steps / run(steps)


def steady_speed(run) -> float:
    """Steps/s of a compiled run over the chunks after its first (which pays for tracing and XLA)."""
    chunks: list[tuple[int, float]] = []
    run(lambda n, seconds: chunks.append((n, seconds)))
    rest = chunks[1:]
    return sum(n for n, _ in rest) / sum(s for _, s in rest)


def compiled_train_speed(params, steps: int, log_every: int | None) -> float:
    from gan1d import data, engine, training

    real = data.draw_real(params, params.seed)[None]
    p = with_steps(params, "train", steps + engine.CHUNK, log_every=log_every or engine.CHUNK)
    return steady_speed(lambda hook: training.train(p, real, [params.seed], on_chunk=hook))


def naive_pretrain_speed(params, steps: int) -> float:
    from gan1d import data, losses, training
    from gan1d.models import Discriminator, initialize

    import tensorflow as tf

    cfg = params.pretrain
    d = Discriminator(params.model, 1, params.scaling)
    initialize(d, [params.seed], params.model.bias_stddev)
    opt = training.make_optimizer(cfg.optimizer, steps)
    x, pdf = data.draw_pretrain(with_steps(params, "pretrain", steps), params.seed)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.pretrain_loss(d(xb), yb))
        opt.apply_gradients(zip(tape.gradient(loss, d.trainable_variables), d.trainable_variables))
        return loss

    def run(n: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            sl = slice(i * cfg.batch, (i + 1) * cfg.batch)
            step(tf.constant(x[sl].reshape(1, -1, 1), tf.float32), tf.constant(pdf[sl].reshape(1, -1, 1), tf.float32))
        return time.perf_counter() - start

    run(20)
    return steps / run(steps)


def compiled_pretrain_speed(params, steps: int) -> float:
    from gan1d import data, engine, training

    p = with_steps(params, "pretrain", steps + engine.CHUNK)
    x, pdf = data.draw_pretrain(p, params.seed)
    return steady_speed(lambda hook: training.pretrain(p, x[None], pdf[None], [params.seed], on_chunk=hook))


def median_of(reps: int, fn, *args) -> float:
    return statistics.median(fn(*args) for _ in range(reps))


def copy_repo(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file() and not rel.startswith("data/") and rel != "dvc.lock":
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "bench"]):
        subprocess.run(cmd, cwd=dest, check=True, env=env)


MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
)


def timed(cmd: list[str], cwd: Path, **env: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, largest process in the tree) of ``cmd``, with ``env`` added."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, capture_output=True, text=True, env=env)
    seconds, rss_kib, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}")
    return float(seconds), int(rss_kib) / 1024


CHAIN = ["dvc", "repro", "evaluate", "render"]  # the main chain: sample -> pretrain -> train -> evaluate, render


def pipeline_times(stages: list[str], noop_reps: int) -> dict:
    """Cold and warm-cache chains, each stage forced alone, robustness per worker count, no-op repro."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "compile-cache")  # empty: the first chain compiles everything
        cold, warm = Path(tmp) / "cold", Path(tmp) / "warm"
        for repo in (cold, warm):
            repo.mkdir()
            copy_repo(repo)
        # empty DVC cache and empty compile cache; then a fresh repo (empty DVC cache) with the cache warm
        cold_chain, _ = timed(CHAIN, cold, GAN1D_CACHE=cache)
        warm_chain, _ = timed(CHAIN, warm, GAN1D_CACHE=cache)
        # Per-stage figures: force each stage alone, in order (its inputs are already there), cache warm.
        stage_seconds, stage_rss = {}, {}
        for stage in stages:
            stage_seconds[stage], stage_rss[stage] = timed(["dvc", "repro", "-f", "-s", stage], warm, GAN1D_CACHE=cache)
        robustness = {
            workers: timed(["dvc", "repro", "-f", "-s", "robustness"], warm, GAN1D_CACHE=cache, GAN1D_WORKERS=workers)[
                0
            ]
            for workers in ("1", "2")
        }
        noop = statistics.median(timed(["dvc", "repro"], warm)[0] for _ in range(noop_reps))
    return {
        "cold_chain_seconds": cold_chain,
        "warm_cache_chain_seconds": warm_chain,
        "stage_seconds": stage_seconds,
        "stage_peak_rss_mib": stage_rss,
        "robustness_seconds": robustness,
        "noop_repro_seconds": noop,
        "robustness_2_workers_over_train": robustness["2"] / stage_seconds["train"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="repetitions per loop figure (median reported)")
    ap.add_argument("--steps", type=int, default=20000, help="steps of the long compiled run")
    ap.add_argument("--naive-steps", type=int, default=2000, help="steps of the long per-step run")
    args = ap.parse_args()
    os.chdir(ROOT)
    params = load_params(ROOT / "params.yaml")
    classic = load_params(ROOT / "presets" / "classic.yaml")  # the seed program's model: batch 12, SGD

    from gan1d import engine

    engine.set_seed(params.seed)
    res: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    res["naive_steps_per_s"] = median_of(args.reps, naive_train_speed, classic, args.naive_steps)
    res["compiled_steps_per_s"] = median_of(args.reps, compiled_train_speed, classic, args.steps, None)
    res["compiled_steps_per_s_with_frames"] = median_of(
        args.reps, compiled_train_speed, classic, args.steps, classic.train.log_every
    )
    res["speedup"] = res["compiled_steps_per_s"] / res["naive_steps_per_s"]
    res["naive_pretrain_steps_per_s"] = median_of(args.reps, naive_pretrain_speed, classic, args.naive_steps)
    res["compiled_pretrain_steps_per_s"] = median_of(args.reps, compiled_pretrain_speed, classic, args.steps)
    res["pretrain_speedup"] = res["compiled_pretrain_steps_per_s"] / res["naive_pretrain_steps_per_s"]
    stages = list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])
    res.update(pipeline_times(stages, noop_reps=3))

    print(f"machine: {res['machine']}")
    print(
        f"adversarial steps/s   per-step loop {res['naive_steps_per_s']:10.0f}   compiled {res['compiled_steps_per_s']:10.0f}"
        f"   speedup {res['speedup']:6.1f}x   (compiled, with a frame every {classic.train.log_every} steps: "
        f"{res['compiled_steps_per_s_with_frames']:.0f})"
    )
    print(
        f"pretraining steps/s   per-step loop {res['naive_pretrain_steps_per_s']:10.0f}   compiled "
        f"{res['compiled_pretrain_steps_per_s']:10.0f}   speedup {res['pretrain_speedup']:6.1f}x"
    )
    print(
        f"main chain (dvc repro evaluate render, empty DVC cache): {res['cold_chain_seconds']:.1f} s with an empty "
        f"compile cache, {res['warm_cache_chain_seconds']:.1f} s with a warm one;  no-op dvc repro: "
        f"{res['noop_repro_seconds']:.2f} s"
    )
    print(
        f"robustness ({params.robustness.count} seeds): {res['robustness_seconds']['1']:.1f} s on 1 worker, "
        f"{res['robustness_seconds']['2']:.1f} s on 2 = {res['robustness_2_workers_over_train']:.2f}x the train stage"
    )
    for stage in stages:
        print(
            f"  stage {stage:<10} {res['stage_seconds'][stage]:6.2f} s   peak RSS {res['stage_peak_rss_mib'][stage]:7.0f} MiB"
        )
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()}, sort_keys=True))


if __name__ == "__main__":
    main()
