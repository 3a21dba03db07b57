"""Training speed against peers measured in the same run (contenders
interleaved round-robin; min and median wall time).

digits (the default): the course's 64-25-15-10 ReLU network, Adam at lr 1e-3,
20 epochs of mini-batches of 32 on the 1,348 training digits (42 batches an
epoch, 840 steps), from the same initial weights:
  - actlab: ``train.train`` as ``actlab train digits`` runs it (warm: compiled once);
  - a hand-written ``lax.scan`` of the same epochs (one permutation per
    epoch, then slices; optax's Adam) with nothing else in it;
  - a PyTorch eager loop of the same network, batches and optimizer (if torch
    is installed), on 1 thread.
Each prints its test accuracy. Then the dataset's load time against
``import jax``, each in a fresh process.

xor (``--xor``): 2000 full-batch Adam steps of a 2-8-1 tanh network.

accuracy (``--accuracy``): the epochs' shuffles against the draw they
replaced (``jax.random.choice(..., replace=False)`` of each batch from all rows,
every step), same network, steps and seeds: digits' test accuracy on seeds 0-9.

    python benchmarks/bench_train.py [--rounds 9] [--xor | --accuracy]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

jax.config.update("jax_enable_x64", True)

from _timing import Timing, interleaved, load, row  # noqa: E402
from actlab.blocks import activations, data  # noqa: E402
from actlab.lab import setup, train  # noqa: E402

EPOCHS, BATCH, LR = 20, 32, 1e-3  # the course: Adam at 1e-3, batches of 32


def actlab_digits(ds):
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", epochs=EPOCHS,
                                  batch=BATCH)
    state = {}

    def run():
        state["result"] = train.train(config, ds, lr=LR, seed=0)

    run()  # the initial weights, for the peers
    first = train.make_run(config).init(jax.random.key(0), train.prepare_data(ds.x_train, ds.y_train, config))
    init = [(np.asarray(w), np.asarray(b)) for w, b in first.params]
    return run, lambda: state["result"].accuracy, init


def scan_digits(ds, init):
    """The same epochs written by hand: per epoch one permutation, then slices."""
    x, y = jnp.asarray(ds.x_train, jnp.float32), jnp.asarray(ds.y_train, jnp.int32)
    n = x.shape[0]
    per = n // BATCH
    opt = optax.adam(LR)

    def forward(p, x):
        for w, b in p[:-1]:
            x = jax.nn.relu(x @ w + b)
        w, b = p[-1]
        return x @ w + b

    def loss(p, xb, yb):
        return optax.softmax_cross_entropy_with_integer_labels(forward(p, xb), yb).mean()

    @jax.jit
    def fit(params, key):
        def epoch(carry, e):
            order = jax.random.permutation(jax.random.fold_in(key, e), n)[: per * BATCH].reshape(per, BATCH)

            def step(carry, idx):
                p, s = carry
                g = jax.grad(loss)(p, x[idx], y[idx])
                u, s = opt.update(g, s, p)
                return (optax.apply_updates(p, u), s), None

            return lax.scan(step, carry, order)[0], None

        return lax.scan(epoch, (params, opt.init(params)), jnp.arange(EPOCHS))[0][0]

    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in init]
    key = jax.random.key(1)
    state = {}

    def run():
        state["params"] = jax.block_until_ready(fit(params, key))

    def accuracy():
        logits = forward(state["params"], jnp.asarray(ds.x_test, jnp.float32))
        return float(jnp.mean(jnp.argmax(logits, 1) == ds.y_test))

    return run, accuracy


def torch_digits(ds, init, threads):
    import torch

    x = torch.tensor(ds.x_train, dtype=torch.float32)
    y = torch.tensor(ds.y_train, dtype=torch.long)
    n = len(x)
    per = n // BATCH
    gen = torch.Generator().manual_seed(1)
    state = {}

    def net_from(init):
        layers = []
        for k, (w, b) in enumerate(init):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(w.T))
                lin.bias.copy_(torch.tensor(b))
            layers += [lin] + ([torch.nn.ReLU()] if k < len(init) - 1 else [])
        return torch.nn.Sequential(*layers)

    def run():
        torch.set_num_threads(threads)
        net = net_from(init)
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(EPOCHS):
            order = torch.randperm(n, generator=gen)[: per * BATCH].view(per, BATCH)
            for idx in order:
                opt.zero_grad()
                loss_fn(net(x[idx]), y[idx]).backward()
                opt.step()
        state["net"] = net

    def accuracy():
        with torch.no_grad():
            pred = state["net"](torch.tensor(ds.x_test, dtype=torch.float32)).argmax(1).numpy()
        return float(np.mean(pred == ds.y_test))

    return run, accuracy, torch.__version__


def digits(rounds, with_torch=True):
    ds = data.load_bundled("digits", seed=0)
    print(f"digits: 64-25-15-10 relu, adam lr {LR}, {EPOCHS} epochs of batch {BATCH} "
          f"({len(ds.x_train) // BATCH} batches an epoch), backend {jax.default_backend()}, {load()}")
    run_a, acc_a, init = actlab_digits(ds)
    run_s, acc_s = scan_digits(ds, init)
    contenders = {"actlab train (one program)": run_a, "hand-written lax.scan": run_s}
    accuracy = {"actlab train (one program)": acc_a, "hand-written lax.scan": acc_s}
    try:
        import torch  # noqa: F401
    except ImportError:
        torch = None
    if torch is None or not with_torch:
        print("  no eager peer measured (torch not importable, or --no-torch)")
    else:
        run_t, acc_t, version = torch_digits(ds, init, 1)
        name = f"PyTorch {version} eager, 1 thread"
        contenders[name], accuracy[name] = run_t, acc_t
    times = interleaved(contenders, rounds)
    print(f"{'':44s} {'min':>9s} {'median':>9s}      test accuracy")
    for name, t in times.items():
        print(row(name, t) + f"   {accuracy[name]():.4f}")
    ours, scan = times["actlab train (one program)"].min, times["hand-written lax.scan"].min
    print(f"ratio actlab / hand-written scan (min):  {ours / scan:6.2f}x  (goal <= 1.3x)")
    for name in contenders:
        if name.startswith("PyTorch"):
            print(f"ratio {name} / actlab (min): {times[name].min / ours:6.1f}x  (goal >= 15x)")
    print(load())
    load_time(rounds)


def load_time(rounds):
    """The dataset's load time against importing jax, each timed inside a fresh
    process: reading the digits (numpy already imported, as in every command
    that trains), and the same with the imports of numpy and actlab's data."""
    code = ("import time; t0 = time.perf_counter(); {}; t1 = time.perf_counter(); {}; "
            "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    cmds = {"import jax": code.format("import jax", "pass"),
            "digits": code.format("import numpy; from actlab.blocks import data",
                                  "data.load_bundled('digits')")}
    times = {"import jax": [], "load digits": [], "import numpy + actlab.blocks.data + load digits": []}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            first, second = map(float, subprocess.run([sys.executable, "-c", cmd], capture_output=True,
                                                      text=True, check=True).stdout.split())
            if name == "import jax":
                times["import jax"].append(first)
            else:
                times["load digits"].append(second)
                times["import numpy + actlab.blocks.data + load digits"].append(first + second)
    times = {name: Timing(min(t), statistics.median(t)) for name, t in times.items()}
    for name, t in times.items():
        print(row(name, t))
    for name in ("load digits", "import numpy + actlab.blocks.data + load digits"):
        print(f"{name} / import jax: {times[name].ratio(times['import jax'])}")


def xor(rounds, steps=2000):
    ds = data.make_dataset("xor")
    config = train.TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"),
                               optimizer="adam", output="sigmoid", loss="bce", steps=steps)
    r = train.make_run(config)
    d = train.prepare_data(ds.x_train, ds.y_train, config)
    key, lr = jax.random.key(0), jnp.float32(0.01)
    run = jax.jit(r.run).lower(key, lr, d).compile()
    contenders = {"actlab, the pure run function": lambda: jax.block_until_ready(run(key, lr, d)),
                  "actlab train (the driver)": lambda: train.train(config, ds, lr=0.01, seed=0)}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)  # 4-row tensors: threads only add contention
        x = torch.tensor(ds.x_train, dtype=torch.float32)
        y = torch.tensor(ds.y_train[:, None], dtype=torch.float32)

        def torch_run():
            net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
            opt = torch.optim.Adam(net.parameters(), lr=0.01)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            for _ in range(steps):
                opt.zero_grad()
                loss_fn(net(x), y).backward()
                opt.step()

        contenders[f"PyTorch {torch.__version__} eager, 1 thread"] = torch_run
    print(f"xor: {steps} full-batch Adam steps, 2-8-1 tanh, backend {jax.default_backend()}, {load()}")
    times = interleaved(contenders, rounds)
    for name, t in times.items():
        print(row(name, t))
    for name in contenders:
        if name.startswith("PyTorch"):
            for ours in ("actlab, the pure run function", "actlab train (the driver)"):
                print(f"ratio torch / {ours} (min): {times[name].min / times[ours].min:6.1f}x")


def accuracy_by_sampler(seeds=range(10)):
    """Test accuracy on digits with each way of drawing batches, seed by seed."""
    from unittest import mock

    def per_step_draw(key, t, x, y, batch):  # what training did before: a fresh draw from all rows each step
        n = x.shape[0]
        if not batch or batch >= n:
            return x, y
        idx = jax.random.choice(jax.random.fold_in(jax.random.wrap_key_data(key), t), n, (batch,), replace=False)
        return x[idx], y[idx]

    rows = {"epochs (one shuffle each)": [], "per-step draw (before)": []}
    for seed in seeds:
        ds, _ = data.load(data.Request(name="digits", seed=seed))
        config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam")
        lr = setup.default_lr(ds, "adam")
        rows["epochs (one shuffle each)"].append(train.train(config, ds, lr=lr, seed=seed).accuracy)
        with mock.patch.object(train, "batch_of", per_step_draw), mock.patch.object(train, "_PROGRAMS", {}):
            train.make_run.cache_clear()
            rows["per-step draw (before)"].append(train.train(config, ds, lr=lr, seed=seed).accuracy)
        train.make_run.cache_clear()
    print(f"digits, the defaults ({config.steps} steps of {config.batch}), test accuracy on seeds "
          f"{seeds[0]}-{seeds[-1]}:")
    for name, accs in rows.items():
        print(f"  {name:28s} " + " ".join(f"{a:.3f}" for a in accs)
              + f"   mean {np.mean(accs):.4f}  min {min(accs):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--xor", action="store_true", help="the XOR comparison instead of digits")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--accuracy", action="store_true", help="test accuracy of two batch samplers, seeds 0-9")
    args = parser.parse_args()
    if args.xor:
        xor(args.rounds)
    elif args.accuracy:
        accuracy_by_sampler()
    else:
        digits(args.rounds, with_torch=not args.no_torch)


if __name__ == "__main__":
    main()
