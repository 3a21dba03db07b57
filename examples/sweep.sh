#!/usr/bin/env bash
# Many seeds at once: how often does each configuration succeed?
set -euo pipefail
out=${1:-$(mktemp -d)}

# XOR needs a non-linearity: linear hidden layers never get all four points.
actlab sweep xor --act relu,tanh,linear --seeds 64
# Learning-rate sensitivity: Adam against plain gradient descent, one grid per activation.
actlab sweep xor --act relu --opt adam,sgd --lr 0.001,0.01,0.1,1 --seeds 32 --steps 300 --csv "$out/grid.csv"
head -3 "$out/grid.csv"
actlab sweep and --seeds 16 --steps 200 --json
