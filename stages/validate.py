"""Stage `validate`: check params.yaml (and a data target's file) before any other stage runs (no TensorFlow).

    python stages/validate.py --stamp data/validate/valid.txt

Every other stage depends on the stamp, so DVC runs this one first, and a bad params.yaml stops
`dvc repro` (or `dvc exp run`) here: DVC removes a stage's outputs just before it runs the stage's
command, so the later stages never start and every output they made before stays as it was. The
stamp's bytes never change (it is `persist`ed in dvc.yaml, so DVC does not remove it either): a
params change that passes reruns only the stages that read the changed keys.
"""

import argparse

import gan1d.stage  # noqa: F401  (first of the gan1d imports: interrupts end the stage in one line)
from gan1d.atomic import write_text
from gan1d.config import load_params
from gan1d.errors import run_main

STAMP = "params.yaml passed validation\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--stamp", required=True, help="output: a file of fixed bytes, written once params.yaml is valid")
    args = ap.parse_args()
    params = load_params(args.params)
    if params.target.data is not None:
        from gan1d import datafile

        datafile.load(params)  # a missing, unreadable or unusable data file: one line, before any stage runs
    write_text(args.stamp, STAMP)
    print(f"validate: {args.params} is valid")


if __name__ == "__main__":
    run_main(main)
