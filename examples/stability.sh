#!/usr/bin/env bash
# Why losses take logits: naive (softmax/sigmoid first, log after) vs fused, in every dtype.
set -euo pipefail

# exp(100) overflows float16, bfloat16 and float32: the naive loss is inf there, fused is exact
actlab stability --logits 100

# a confident prediction: the loss is 3.6e-13; naive rounds the probability to 1 and returns 0
actlab stability --values 30,0,-2,1 --label 0 --dtypes float32,float64

# binary cross-entropy: sigmoid(40) rounds to 1 and 0 * log(0) is NaN; from logits it is e^-40
actlab stability --binary --values 40,-40 --target 1 --dtypes float32

# where does each dtype break? beside log(max float)
actlab stability --scan --points 41 --no-chart

# the course notes' round-off example, and a machine-readable result
actlab stability --roundoff
actlab stability --logits 1000 --json | python -c "import json, sys; print(json.load(sys.stdin)['verdict'])"
