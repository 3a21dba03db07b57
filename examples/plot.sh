#!/usr/bin/env bash
# A first look at activations: the registry, then functions and their derivatives.
set -euo pipefail
out=${1:-$(mktemp -d)}

actlab list
actlab plot relu --derivative                       # ReLU's step: 0 for x < 0, 1 for x > 0
actlab plot sigmoid tanh --derivative --range -8 8  # both saturate; sigmoid' peaks at 0.25
actlab plot leaky_relu elu swish gelu --derivative  # the fixes for dead units, and smooth modern ones
actlab plot gelu --derivative --save "$out/gelu.svg"
actlab plot sigmoid --derivative --points 5 --json
