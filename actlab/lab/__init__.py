"""The experiments: each takes resolved inputs and returns frozen result types
that the views render (train, sweep, stability, gradflow, curves)."""
