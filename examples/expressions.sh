#!/usr/bin/env bash
# Custom activations without writing a package: a formula in x works wherever a
# name does; a plugin package adds named ones through its entry points.
set -euo pipefail
out=${1:-$(mktemp -d)}
mkdir -p "$out"

# GELU's sigmoid approximation next to GELU itself, with derivatives (autodiff).
actlab plot "x*sigmoid(1.702*x)" gelu --derivative --range -4 4 --points 41
# The derivative of a polynomial, checked against a finite difference.
actlab grad "x**3 - 2*x" --at -1,0,1.5
# Mish written out, trained on XOR; parameters of a registered activation go by name.
actlab train xor --act "x*tanh(softplus(x))" --steps 300
actlab plot "leaky_relu(x, alpha=0.2) - 0.1*relu(x - 2)" --points 5 --json

# Hostile input is refused before anything runs (exit 2, the position of the problem).
if actlab plot "__import__('os').system('echo hacked')" 2> "$out/refused.txt"; then
  echo "expected a refusal" >&2; exit 1
fi
cat "$out/refused.txt"

# A plugin package: install the example into a private folder, no network needed.
cp -r "$(dirname "$0")/plugin" "$out/plugin-src"
python -m pip install --quiet --no-deps --no-build-isolation --no-index \
  --target "$out/plugins" "$out/plugin-src" 2>/dev/null
PYTHONPATH="$out/plugins${PYTHONPATH:+:$PYTHONPATH}" actlab list
PYTHONPATH="$out/plugins${PYTHONPATH:+:$PYTHONPATH}" \
  actlab plot squareplus snake "squareplus(x, b=1)" --derivative --points 41
