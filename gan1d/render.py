"""Pictures of training from the frames table: an H.264 MP4 and a PNG of the final state.

Headless (Agg) and TensorFlow-free. The video is drawn with blitting: the static parts (axes,
labels, legend) are drawn once, and for each frame only the curves and the counter are redrawn
and the raw RGB buffer is piped to the ffmpeg that imageio-ffmpeg ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from gan1d.config import Render  # noqa: E402
from gan1d.frames import Frames  # noqa: E402
from gan1d.io import atomic_path  # noqa: E402
from gan1d.metrics import SUCCESS_W1_STD, Target  # noqa: E402

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from tqdm import tqdm  # noqa: E402

TITLE = "1D Generative Adversarial Network"
# x264 settings that make the bytes depend only on the frames: one thread (frame threading may
# change decisions with the core count) and no encoder/muxer metadata that varies.
FFMPEG_OUTPUT = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


@dataclass
class _Plot:
    fig: Figure
    canvas: FigureCanvasAgg
    boundary: Line2D
    real: Line2D
    generated: Line2D
    counter: Text

    def show(self, frames: Frames, i: int) -> None:
        self.boundary.set_data(frames.grid, frames.boundary[i])
        self.real.set_data(frames.centers, frames.real)
        self.generated.set_data(frames.centers, frames.generated[i])
        self.counter.set_text(f"Frame {i + 1}/{len(frames)}  step {frames.steps[i]}")

    @property
    def artists(self) -> tuple:
        return self.boundary, self.real, self.generated, self.counter


def y_limit(frames: Frames) -> float:
    """A y range that fits every curve of every frame, so a collapsed spike is never clipped."""
    top = max(1.0, float(np.nanmax(frames.real)), float(np.nanmax(frames.generated, initial=0.0)))
    return 1.25 * top  # headroom for the legend


def _even_pixels(inches: float, dpi: int) -> float:
    # H.264 in yuv420p needs even frame sides.
    return (int(round(inches * dpi)) // 2 * 2) / dpi


def _plot(frames: Frames, cfg: Render, animated: bool, transport: bool = False) -> _Plot:
    width = cfg.width * (2 if transport else 1)
    fig = Figure(figsize=(_even_pixels(width, cfg.dpi), _even_pixels(cfg.height, cfg.dpi)), dpi=cfg.dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 1) if transport else fig.add_subplot()
    ax.set_title(TITLE)
    ax.set_xlabel("Data values")
    ax.set_ylabel("Probability density")
    ax.set_xlim(frames.grid[0], frames.grid[-1])  # the window the frames were taken on (Params.window)
    ax.set_ylim(0.0, y_limit(frames))
    kw = {"animated": animated}
    (boundary,) = ax.plot([], [], label="decision boundary D(x)", **kw)
    (real,) = ax.plot([], [], label="real data", **kw)
    (generated,) = ax.plot([], [], label="generated data", **kw)
    counter = ax.text(0.02, 0.95, "", ha="left", va="top", transform=ax.transAxes, **kw)
    ax.legend(loc="upper right")
    if transport:
        _transport_panel(fig.add_subplot(1, 2, 2), frames)
    fig.tight_layout()
    return _Plot(fig, canvas, boundary, real, generated, counter)


def _transport_panel(ax, frames: Frames) -> None:
    """G's transport map at the last frame against the target's quantile function, over G's noise range.

    In one dimension the best generator of a monotone map is the quantile function itself: where
    the two curves part, G puts mass in the wrong place (a flat stretch of G is a spike of samples,
    a missing step is a missing mode)."""
    ax.set_title("Transport map: where G sends the noise")
    ax.set_xlabel("noise z")
    ax.set_ylabel("data value x")
    ax.plot(frames.noise, frames.quantile, color="C1", lw=2.5, alpha=0.6, label="target quantile F⁻¹(u(z))")
    ax.plot(frames.noise, frames.transport[-1], color="C2", label="generator G(z)")
    lo, hi = frames.grid[0], frames.grid[-1]
    ax.set_ylim(lo, hi)
    ax.legend(loc="upper left")


def render_video(frames: Frames, cfg: Render, path: str | Path) -> int:
    """Write every frame to an H.264 MP4 at ``cfg.fps``; returns the number of frames written."""
    plot = _plot(frames, cfg, animated=True)
    plot.canvas.draw()
    background = plot.canvas.copy_from_bbox(plot.fig.bbox)
    width, height = plot.canvas.get_width_height()
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (width, height),
            pix_fmt_in="rgba",
            fps=cfg.fps,
            codec="libx264",
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=FFMPEG_OUTPUT,
        )
        writer.send(None)
        try:
            for i in tqdm(range(len(frames)), desc="render", unit="frame", leave=False, disable=None):
                plot.canvas.restore_region(background)
                plot.show(frames, i)
                for artist in plot.artists:
                    plot.fig.draw_artist(artist)
                writer.send(plot.canvas.buffer_rgba())  # the canvas's own RGBA buffer: no copy
        finally:
            writer.close()
    return len(frames)


def render_final(frames: Frames, cfg: Render, path: str | Path) -> None:
    """A PNG of the last frame: the final decision boundary and densities at bin centres."""
    plot = _plot(frames, cfg, animated=False, transport=True)
    plot.show(frames, len(frames) - 1)
    _save_png(plot.fig, path)


def render_seeds(
    samples: np.ndarray,
    seeds: list[int],
    rows: list[dict[str, float]],
    target: Target,
    window: tuple[float, float],
    cfg: Render,
    w1_path: str | Path,
    grid_path: str | Path,
) -> None:
    """The robustness stage at a glance: (a) every seed's W1 in target stds against the success line,
    (b) small multiples of every seed's generated density over the target's (a collapsed seed is a
    lone spike beside an empty mode, in red)."""
    w1 = np.array([r.get("w1_std", np.nan) for r in rows])
    ok = np.array([r.get("success", 0.0) == 1.0 for r in rows])
    fig = Figure(figsize=(max(cfg.width, 0.25 * len(seeds) + 1.5), cfg.height), dpi=cfg.dpi)
    ax = fig.add_subplot()
    shown = np.where(np.isfinite(w1), w1, np.nanmax(np.append(w1[np.isfinite(w1)], 1.0)))
    ax.bar([str(s) for s in seeds], shown, color=np.where(ok, "C2", "C3"))
    baseline = [r["baseline_w1_std"] for r in rows if "baseline_w1_std" in r]
    if baseline:  # a data target: success is the KS test's; the training part itself is the mark to beat
        ax.axhline(baseline[0], color="k", ls="--", lw=1, label="the training part itself (held-out W1)")
    else:
        ax.axhline(SUCCESS_W1_STD, color="k", ls="--", lw=1, label=f"success: W1 < {SUCCESS_W1_STD} target std")
    ax.set_yscale("log")
    ax.set_xlabel("seed")
    ax.set_ylabel("W1 / target std (log scale)")
    ax.set_title(f"{int(ok.sum())} of {len(seeds)} seeds succeed (green), every mode and decile covered")
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    ax.legend(loc="upper right")
    fig.tight_layout()
    _save_png(fig, w1_path)

    cols = int(np.ceil(np.sqrt(len(seeds) * 1.5)))
    nrows = int(np.ceil(len(seeds) / cols))
    fig = Figure(figsize=(1.6 * cols + 0.4, 1.2 * nrows + 0.6), dpi=cfg.dpi)
    edges = np.linspace(window[0], window[1], 81)
    centers = 0.5 * (edges[:-1] + edges[1:])
    pdf = target.pdf(centers)
    top = 1.3 * float(pdf.max())
    for i, (seed, x) in enumerate(zip(seeds, samples)):
        ax = fig.add_subplot(nrows, cols, i + 1)
        ax.fill_between(centers, pdf, color="C1", alpha=0.35, lw=0)
        hist = np.histogram(x[np.isfinite(x)], bins=edges)[0] / (len(x) * np.diff(edges))
        ax.plot(centers, hist, color="C2" if ok[i] else "C3", lw=1)
        ax.set_ylim(0, top)
        ax.set_xlim(*window)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"seed {seed}: {w1[i]:.3g}", fontsize=7, color="k" if ok[i] else "C3")
    fig.suptitle("Every seed's generated density (line) over the target's (shaded); W1 in target stds", fontsize=9)
    fig.tight_layout()
    _save_png(fig, grid_path)


def _save_png(fig: Figure, path: str | Path) -> None:
    FigureCanvasAgg(fig)
    with atomic_path(path) as tmp:
        # No "Software" text chunk: the bytes then do not change with matplotlib's patch version.
        fig.savefig(tmp, format="png", metadata={"Software": None})
