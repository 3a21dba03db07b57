#!/usr/bin/env bash
# actlab grad: derivatives against finite differences, gradient flow through
# depth, and what backpropagation costs.
set -euo pipefail

# f'(x) from the registry beside a central finite difference; relu's kink at 0
# and sigmoid's tail at 40 (4.2e-18, below what a finite difference resolves).
actlab grad sigmoid relu --at 0,2,5,40

# A step far below eps^(1/3): rounding of f swamps the finite difference.
actlab grad sigmoid --at 1 --step 1e-6

# The same check as JSON, two activations, one parameter (alpha goes to leaky_relu).
actlab grad tanh leaky_relu --at -3,0.5 --param alpha=0.2 --json

# Vanishing gradients: sigmoid's first/last ratio falls below 1e-3 at depth 10,
# ReLU (He) and tanh (Glorot) stay healthy; linear layers collapse to one map.
actlab grad sigmoid relu tanh linear --depth 10 --no-chart

# A bad init: N(0, 1) weights make ReLU and tanh explode; keep the chart as a file.
tmp=$(mktemp -d)
actlab grad relu tanh --depth 10 --init normal:1 --save "$tmp/flow.png"
ls -l "$tmp/flow.png"

# Backpropagation's cost: reverse mode stays a few forward passes while
# forward mode and finite differences grow with the parameter count.
actlab grad tanh --cost --widths 8,16,32 --repeats 2 --no-chart
rm -r "$tmp"
