"""The compiled training loops: determinism, frames, per-replica independence, checkpoints."""

from dataclasses import replace

from gan1d import batches, data, engine, training, writers
from gan1d.config import parse_params
from gan1d.errors import ArtifactError, DivergenceError

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_raw


def run_train(params, seeds):
    real = np.stack([data.draw_real(params, s) for s in seeds])
    engine.set_seed(seeds[0])
    return training.train(params, real, seeds)


# Each training in this process costs seconds whatever its steps (tracing and XLA's compilation: a second
# training compiles again, docs/performance.md "The test suite"), so the tiny params' runs of seed 4 alone and
# of seeds 3 and 4 side by side are trained once and shared by the tests that only read them. The tests that
# check determinism or what a run does train their own runs beside these.
@pytest.fixture(scope="module")
def alone():
    """The tiny params, seed 4 alone."""
    return run_train(parse_params(tiny_raw()), [4])


@pytest.fixture(scope="module")
def together():
    """The tiny params, seeds 3 and 4 side by side."""
    return run_train(parse_params(tiny_raw()), [3, 4])


def test_frame_steps():
    np.testing.assert_array_equal(training.frame_steps(30, 10), [10, 20, 30])
    np.testing.assert_array_equal(training.frame_steps(25, 10), [10, 20, 25])


@pytest.mark.slow  # trains several replicas: seconds each
def test_training_is_deterministic_and_records_frames(tiny, alone):
    a, b = alone, run_train(tiny, [4])  # the shared run and a fresh one of the same seed
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.generated, b.generated)
    assert a.losses.shape == (30, 1, 2) and np.all(np.isfinite(a.losses))
    assert a.boundary.shape == (3, 1, 50)
    # each frame's generated density integrates to the share of samples inside the bins (<= 1)
    width = (tiny.window[1] - tiny.window[0]) / tiny.train.frame_bins
    assert np.all(a.generated.sum(axis=-1) * width <= 1 + 1e-6)
    assert int(a.step.numpy()) == 30


@pytest.mark.slow  # trains several replicas: seconds each
def test_each_replica_equals_training_its_seed_alone(together, alone):
    np.testing.assert_array_equal(together.losses[:, 1], alone.losses[:, 0])
    np.testing.assert_array_equal(together.generated[:, 1], alone.generated[:, 0])
    assert together.kept_steps[1] == alone.kept_steps[0]  # each replica keeps its own frame (train.select_from)
    assert not np.array_equal(together.losses[:, 0], together.losses[:, 1])


def test_pretraining_lowers_its_loss(tiny):
    # 20 steps of batch 8 (tiny's) are too few for SGD at 0.005 to beat its own noise: 200 steps of batch 12.
    from dataclasses import replace

    params = replace(tiny, pretrain=replace(tiny.pretrain, steps=200, batch=12))
    x, pdf = data.draw_pretrain(params, 1)
    result = training.pretrain(params, x[None], pdf[None], [1])
    assert result.losses.shape == (200, 1)
    assert result.losses[-20:].mean() < 0.7 * result.losses[:20].mean()


def test_checkpoint_restores_the_generator(tiny, tmp_path, alone):
    trained = alone
    writers.save_checkpoint(tmp_path / "ckpt", trained)
    g = writers.load_generator(tmp_path / "ckpt", tiny)
    z = np.linspace(-8, 8, 9)
    np.testing.assert_array_equal(writers.generate(g, z), writers.generate(trained.ema_generator, z))


def test_damaged_checkpoint_names_the_directory(tiny, tmp_path, alone):
    trained = alone
    writers.save_checkpoint(tmp_path / "ckpt", trained)
    data_file = next((tmp_path / "ckpt").glob("ckpt.data-*"))
    data_file.write_bytes(data_file.read_bytes()[:10])
    with pytest.raises(ArtifactError, match="ckpt"):
        writers.load_generator(tmp_path / "ckpt", tiny)
    with pytest.raises(ArtifactError, match="no checkpoint there"):
        writers.load_generator(tmp_path / "nothing", tiny)


def test_non_finite_losses_name_the_step():
    losses = np.zeros((10, 1, 2))
    losses[6, 0, 1] = np.nan
    with pytest.raises(DivergenceError, match="at step 7"):
        writers.check_finite(losses, "the training loss")


def test_closest_frame_picks_the_generator_nearest_the_training_data(tiny):
    from gan1d import inference
    from gan1d.distributions import noise_grid

    h = tiny.g_model.hidden
    base = np.concatenate([np.full(h, 0.5), np.linspace(-1, 1, h), np.full(h, 0.3), [0.1]])
    frames = np.stack([base] * 4)
    frames[:, 2 * h :] *= np.array([[0.5], [1.0], [1.0], [2.0]])  # G's output layer: frames 1 and 2 are equal
    z, m = noise_grid(tiny.noise, tiny.train.frame_samples), tiny.model
    data = inference.generate(inference.unflatten(base, h), z, tiny.scaling, m.g_activation, m.g_monotone)
    assert inference.closest_frame(frames, data, tiny) == 1  # W1 0, and the first of two equal frames
    # G's spread is the output layer: against data of spread s, half of s (W1 ~ s/2) beats twice it (W1 ~ s)
    assert inference.closest_frame(frames[[3, 0]], data, tiny) == 1


def test_select_from_keeps_the_closest_frame_with_or_without_frames(tiny, alone):
    from gan1d import inference

    kept = replace(tiny, train=replace(tiny.train, select_from=0.0))  # every frame may be kept
    real = data.draw_real(kept, 4)[None]
    engine.set_seed(4)
    framed = training.train(kept, real, [4])
    engine.set_seed(4)
    bare = training.train(kept, real, [4], record_frames=False)  # as the robustness stage trains
    i = inference.closest_frame(framed.weights[:, 0], real[0], kept)
    assert framed.kept_steps.tolist() == [framed.frame_steps[i]]
    flat = np.concatenate([w.numpy()[0].ravel() for w in framed.ema_generator.weights])
    np.testing.assert_array_equal(flat, framed.weights[i, 0])  # the EMA generator is that frame's
    np.testing.assert_array_equal(bare.kept_steps, framed.kept_steps)
    for a, b in zip(bare.ema_generator.weights, framed.ema_generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert alone.kept_steps.tolist() == [tiny.train.steps]  # select_from 1: the last weights


def test_numpy_generator_matches_tensorflow(tiny, tmp_path, alone):
    from gan1d import inference

    trained = alone
    writers.save_weights(tmp_path / "g.weights.h5", trained.generator)
    z = np.linspace(-8, 8, 101)
    np.testing.assert_allclose(
        inference.generate(
            inference.load_generator(tmp_path / "g.weights.h5"),
            z,
            tiny.scaling,
            tiny.model.g_activation,
            tiny.model.g_monotone,
        ),
        writers.generate(trained.generator, z),
        rtol=1e-5,
        atol=1e-5,
    )


def test_foreign_weights_file_names_the_file(tiny, tmp_path, alone):
    from gan1d import inference
    from gan1d.models import Discriminator, load_weights_by_name

    trained = alone
    writers.save_weights(tmp_path / "g.weights.h5", trained.generator)
    with pytest.raises(ArtifactError, match="g.weights.h5: has no weights for layer 'd0'"):
        load_weights_by_name(Discriminator(tiny.model), tmp_path / "g.weights.h5")
    (tmp_path / "bad.weights.h5").write_bytes(b"garbage")
    with pytest.raises(ArtifactError, match="bad.weights.h5: not a readable generator weights file"):
        inference.load_generator(tmp_path / "bad.weights.h5")


@pytest.mark.slow  # trains several replicas: seconds each
def test_uniform_kinks_change_g_and_keep_each_replica_its_own_seed(tiny):
    # spread_kinks draws per replica from its own seed, so a seed trained beside another is still the seed alone
    from dataclasses import replace

    steep = replace(tiny.model, hidden=8, g_steepness=8.0)
    uniform = replace(tiny, model=replace(steep, g_kinks="uniform"))
    together, alone = run_train(uniform, [3, 4]), run_train(uniform, [4])
    np.testing.assert_array_equal(together.losses[:, 1], alone.losses[:, 0])
    random_kinks = run_train(replace(tiny, model=replace(steep, g_kinks="random")), [4])
    assert not np.array_equal(random_kinks.losses, alone.losses)


def test_stratify_puts_sample_i_in_slice_i():
    import tensorflow as tf

    u = tf.constant([[0.0, 0.5, 0.99, 0.25]])  # (R=1, B=4): (i + u_i) / 4
    np.testing.assert_allclose(batches.stratify(u).numpy(), [[0.0, 0.375, 0.7475, 0.8125]], rtol=1e-6)
    u3 = u[..., None]  # (R, B, 1), as the noise is drawn
    np.testing.assert_allclose(batches.stratify(u3).numpy()[..., 0], batches.stratify(u).numpy())


@pytest.mark.slow  # trains several replicas: seconds each
def test_stratified_batches_change_training_and_keep_each_replica_its_own_seed(tiny, together, alone):
    from dataclasses import replace

    # iid batches come with the seed's uniform noise (normal noise needs stratified batches)
    iid = replace(tiny, train=replace(tiny.train, stratify=False), noise=replace(tiny.noise, distribution="uniform"))
    strat = replace(tiny, train=replace(tiny.train, stratify=True))
    if strat != tiny:  # tiny's batches are stratified: then its shared runs are these
        together, alone = run_train(strat, [3, 4]), run_train(strat, [4])
    np.testing.assert_array_equal(together.losses[:, 1], alone.losses[:, 0])
    assert not np.array_equal(run_train(iid, [4]).losses, alone.losses)


def test_a_three_mode_target_trains_a_wider_generator(tiny, tmp_path):
    # model.hidden_per_mode: 3 units per component, so three modes get 9 (tiny.model.hidden is 4): the frames,
    # the checkpoint and the NumPy generator all follow the derived width.
    from dataclasses import replace

    from gan1d import inference
    from gan1d.config import Target

    three = replace(tiny, target=Target.gaussians((-4.0, 0.0, 4.0), (0.5,) * 3, (1.0,) * 3))
    assert (three.model.hidden, three.model.hidden_per_mode, three.g_model.hidden) == (4, 3, 9)
    trained = run_train(three, [2])
    assert trained.weights.shape[-1] == 3 * 9 + 1
    writers.save_checkpoint(tmp_path / "ckpt", trained)
    z = np.linspace(-8, 8, 9)
    restored = writers.generate(writers.load_generator(tmp_path / "ckpt", three), z)
    np.testing.assert_array_equal(restored, writers.generate(trained.ema_generator, z))
    last = inference.unflatten(trained.weights[-1, 0], three.g_model.hidden)
    np.testing.assert_allclose(
        inference.generate(last, z, three.scaling, "tanh", three.model.g_monotone), restored, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_stratified_noise_puts_draw_i_in_the_i_th_slice_of_its_levels(tiny, distribution):
    from scipy import stats

    p = replace(tiny, noise=replace(tiny.noise, distribution=distribution))
    real = np.stack([data.draw_real(p, s) for s in (1, 2)])
    b = batches.Batches.of(p, real, [1, 2], engine.runtime_value(0.0), engine.runtime_value(0.0))
    z = b.noise(batches.G_NOISE, batches.tf.constant(3, batches.tf.int64)).numpy()[..., 0]  # (2, batch)
    r = p.noise.range
    levels = stats.norm.cdf(z, scale=r / 2) if distribution == "normal" else (z + r) / (2 * r)
    slot = np.floor(levels * p.train.batch + 1e-4)  # float32 rounding at a slice's edge
    assert slot.tolist() == [list(range(p.train.batch))] * 2
    assert not np.array_equal(z[0], z[1])  # each replica its own draw


@pytest.mark.parametrize("cut", [1.0, 0.6])
def test_instance_noise_follows_its_half_cosine_and_stops_at_the_cut(tiny, cut):
    t = replace(tiny.train, steps=100, instance_noise=0.2, instance_noise_until=1.0, instance_noise_cut=cut)
    p = replace(tiny, train=t)
    b = batches.Batches.of(p, data.draw_real(p, 1)[None], [1], engine.runtime_value(0.0), engine.runtime_value(0.2))
    unfaded = replace(b, blur_until=1e12, blur_cut=None)  # the same draws at a std of 0.2 throughout
    v = tf.zeros((1, t.batch, 1))

    def ratio(step: int) -> float:  # the blur's std at a step over 0.2
        at = (tf.constant(step, tf.int64), tf.constant(0, tf.int64))
        out, ref = b.blur(v, batches.BLUR_REAL, *at).numpy(), unfaded.blur(v, batches.BLUR_REAL, *at).numpy()
        return float(np.max(np.abs(out)) / np.max(np.abs(ref)))

    # (1 + cos(pi s / 100)) / 2 up to the cut, then 0
    expected = [1.0, 0.5, 0.5 * (1 + np.cos(0.59 * np.pi)), 0.0 if cut == 0.6 else 0.5 * (1 + np.cos(0.6 * np.pi))]
    np.testing.assert_allclose([ratio(s) for s in (0, 50, 59, 60)], expected, rtol=1e-5, atol=1e-7)
    assert (ratio(99) > 0.0) == (cut == 1.0)


@pytest.mark.slow  # four tiny training runs: seconds each
def test_the_recipe_is_scale_free_r1_included(tiny):
    # D standardises its input and G's output is mean + std x out, so the same seed on N(-2, 0.5) + N(4, 0.5)
    # and on that target x 10 takes the same steps: R1's gamma is in standardised units (a gamma in the
    # target's units would be 100x weaker on the wider target and change every D loss).
    from dataclasses import replace

    from gan1d.config import Target

    r1 = replace(tiny, train=replace(tiny.train, penalty="r1", r1_gamma=1.0, r1_fade_to=0.3))
    wide = replace(r1, target=Target.gaussians((-20.0, 40.0), (5.0, 5.0), (1.0, 1.0)))
    small, large = run_train(r1, [3]), run_train(wide, [3])
    np.testing.assert_allclose(large.losses, small.losses, rtol=1e-3, atol=1e-4)
    no_r1 = run_train(replace(r1, train=replace(r1.train, penalty="none")), [3])
    assert np.max(np.abs(no_r1.losses[:, :, 0] - small.losses[:, :, 0])) > 1e-2  # R1 is felt in D's loss
    # r1_fade_to 0.3 fades R1 over the run: a constant R1 starts the same, then differs
    constant = run_train(replace(r1, train=replace(r1.train, r1_fade_to=1.0)), [3])
    np.testing.assert_allclose(constant.losses[0], small.losses[0], rtol=1e-5)  # losses: (steps, replicas, D|G)
    assert np.max(np.abs(constant.losses[-10:, :, 0] - small.losses[-10:, :, 0])) > 1e-3
    # r1_fade_until 0.5 reaches 0.3 x gamma half way, then holds it: the same start, then a different run
    early = run_train(replace(r1, train=replace(r1.train, r1_fade_until=0.5)), [3])
    np.testing.assert_allclose(early.losses[0], small.losses[0], rtol=1e-5)
    assert np.max(np.abs(early.losses[-10:, :, 0] - small.losses[-10:, :, 0])) > 1e-3


def test_faded_runs_from_start_to_end_on_a_half_cosine():
    at = [
        float(batches.faded(tf.constant(s), tf.constant(0.01), tf.constant(0.001), 100.0))
        for s in (0, 25, 50, 100, 150)
    ]
    # 0.001 + 0.009 x (1 + cos(pi s / 100)) / 2: 0.01, 0.001 + 0.009 x 0.8536, 0.0055, 0.001, then 0.001
    np.testing.assert_allclose(at, [0.01, 0.0086820, 0.0055, 0.001, 0.001], rtol=1e-5)
