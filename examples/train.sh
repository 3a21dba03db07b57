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

# The course's handwritten digits: 0 against 1 with a 25-15-1 network, then all
# ten, saved; the confusion matrix, per-class scores and the mistakes as images.
actlab train digits --digits 0,1 --hidden 25,15 --no-chart
actlab train digits --save "$tmp/digits" --no-chart

# The saved network answers in a new process: a row of its own test split,
# then new rows from a CSV file (raw pixels 0..16, scaled as in training).
actlab predict "$tmp/digits" --sample 5
python - "$tmp/new.csv" <<'PY'
import sys, numpy as np
rows = np.zeros((2, 64)); rows[0, [19, 20, 27, 28, 35, 36, 43, 44]] = 16  # a rough vertical stroke: a 1?
header = ",".join(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
np.savetxt(sys.argv[1], rows, delimiter=",", header=header, comments="", fmt="%d")
PY
actlab predict "$tmp/digits" --data "$tmp/new.csv" --json | python -c "import json,sys; print([p['predicted'] for p in json.load(sys.stdin)['predictions']])"

# A tenth of the training rows, 200 epochs at a larger rate: the test loss turns
# up while the training loss falls, and actlab says so.
actlab train digits --train-frac 0.1 --epochs 200 --lr 0.01 --no-chart | grep -i "overfitting\|test accuracy"

# One JSON object on stdout, for scripts.
actlab train xor --json | python -c "import json,sys; r=json.load(sys.stdin); print(r['dataset'], r['accuracy'], r['compile_seconds'])"
rm -rf "$tmp"
