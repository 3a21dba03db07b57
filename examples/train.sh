#!/usr/bin/env bash
# actlab train / advise: small networks on toy sets and CSV data.
set -euo pipefail

# XOR with Adam: accuracy 1.0, the truth table with predicted probabilities.
actlab train xor --opt adam --no-chart

# The same with linear hidden units: one affine map cannot pass 75% on XOR.
actlab train xor --act linear --steps 300 --no-chart

# Two moons: loss curve and the decision regions in the terminal.
actlab train moons --steps 500

# Which output layer and loss a task calls for.
actlab advise multi-label

# Your own data: write a CSV, train on it, keep params/history/figure.
tmp=$(mktemp -d)
python - "$tmp/points.csv" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
x = rng.normal(size=(400, 2))  # 300 train + 100 test rows: the shapes of `moons`, compiled once
y = (x[:, 0] * x[:, 1] > 0).astype(int)          # a noiseless XOR of signs
np.savetxt(sys.argv[1], np.c_[x, y], delimiter=",", header="a,b,label", comments="", fmt=["%.5f", "%.5f", "%d"])
PY
actlab train --data "$tmp/points.csv" --target label --steps 500 --save "$tmp/run" --no-chart
ls "$tmp/run"

# One JSON object on stdout, for scripts.
actlab train xor --json | python -c "import json,sys; r=json.load(sys.stdin); print(r['dataset'], r['accuracy'], r['compile_seconds'])"
rm -rf "$tmp"
