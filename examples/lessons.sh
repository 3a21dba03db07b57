#!/usr/bin/env bash
# The course's and the classic papers' claims, measured here and judged.
set -euo pipefail
out=${1:-$(mktemp -d)}

# every lesson id, with its claim and where the claim comes from
actlab lessons --list

# two lessons in detail: sigmoid' peaks at 0.25 at 0, and what the temperature does to softmax
actlab lessons sigmoid-slope temperature --no-chart

# machine-readable: each verdict is computed from the measured figures
actlab lessons roundoff from-logits --json | python -c "
import json, sys
for lesson in json.load(sys.stdin)['lessons']:
    print(lesson['id'], lesson['verdict'], lesson['figures'][lesson['headline'][0]])"

# a class handout: lessons.md with the charts as PNG, in a new folder
actlab lessons sigmoid-slope gelu-approx --save "$out/handout"
ls "$out/handout"

# the whole catalogue in one table (about a minute on two cores): actlab lessons
