"""The main job: a quick reproduction of Menon et al. (2021) on this machine.

Runs, in a few minutes on 2 CPU cores and without any download:

1. the paper's synthetic experiment (``benchmarks/synthetic.py --quick``): two
   Gaussians with a 5% rare class; ERM, weight normalisation, post-hoc logit adjustment
   and the logit-adjusted loss against the Bayes-optimal balanced error, with the
   decision-boundary figure;
2. every method row of the paper's table (``benchmarks/method_table.py --quick``) on
   long-tailed digits at imbalance ratios 100 and 10, with the Many / Medium / Few
   breakdown, next to the paper's CIFAR-LT numbers.

Tables are printed and written, with the figures, to ``benchmarks/results/``.
``--full`` runs the full versions (more seeds and epochs, plus the 100-class data set of
the method table; about 15 minutes on 2 cores), which gave the numbers in the docs.

Run: python benchmarks/reproduce.py [--full] [--out-dir DIR]
"""

import argparse
import time

import method_table
import synthetic
from _common import RESULTS_DIR


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full versions")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="where results go")
    args = parser.parse_args(argv)
    mode = [] if args.full else ["--quick"]
    start = time.perf_counter()
    print("=" * 30 + " 1/2 synthetic experiment " + "=" * 30 + "\n")
    synthetic.main([*mode, "--out-dir", args.out_dir])
    print("\n" + "=" * 30 + " 2/2 method table " + "=" * 30 + "\n")
    method_table.main([*mode, "--out-dir", args.out_dir])
    print(f"\nReproduction done in {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
