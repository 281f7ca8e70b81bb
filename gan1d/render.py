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

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from tqdm import tqdm  # noqa: E402

from gan1d.config import Render  # noqa: E402
from gan1d.frames import Frames  # noqa: E402
from gan1d.io import atomic_path  # noqa: E402

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


def _plot(frames: Frames, cfg: Render, animated: bool) -> _Plot:
    fig = Figure(figsize=(_even_pixels(cfg.width, cfg.dpi), _even_pixels(cfg.height, cfg.dpi)), dpi=cfg.dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
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
    fig.tight_layout()
    return _Plot(fig, canvas, boundary, real, generated, counter)


def render_video(frames: Frames, cfg: Render, path: str | Path) -> int:
    """Write every frame to an H.264 MP4 at ``cfg.fps``; returns the number of frames written."""
    plot = _plot(frames, cfg, animated=True)
    plot.canvas.draw()
    background = plot.canvas.copy_from_bbox(plot.fig.bbox)
    width, height = plot.canvas.get_width_height()
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (width, height), pix_fmt_in="rgba", fps=cfg.fps, codec="libx264", macro_block_size=2,
            ffmpeg_log_level="error", output_params=FFMPEG_OUTPUT,
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
    plot = _plot(frames, cfg, animated=False)
    plot.show(frames, len(frames) - 1)
    with atomic_path(path) as tmp:
        # No "Software" text chunk: the bytes then do not change with matplotlib's patch version.
        plot.fig.savefig(tmp, format="png", metadata={"Software": None})
