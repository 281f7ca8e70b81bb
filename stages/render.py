"""Stage `render`: the MP4 of training and the PNG of its final state, from the frames (no TensorFlow)."""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d import frames
from gan1d.config import load_params
from gan1d.errors import phase, run_main
from gan1d.render import render_final, render_video


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--frames", required=True, help="input: frames (Parquet)")
    ap.add_argument("--video", required=True, help="output: MP4")
    ap.add_argument("--image", required=True, help="output: PNG of the final frame")
    args = ap.parse_args()
    params = load_params(args.params)
    table = frames.read(args.frames)
    phase("rendering")
    n = render_video(table, params.render, args.video)
    render_final(table, params.render, args.image)
    print(f"render: {n} frames at {params.render.fps} fps -> {args.video}, final state -> {args.image}")


if __name__ == "__main__":
    run_main(main)
