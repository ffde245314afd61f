"""The paper's Figure 1 from its records: epochs (and seconds) to 25% training error.

``benchmarks/figure1.py`` trains a four-layer network with ReLU and with tanh, each at the
rate of a small grid that did best on the validation split, and writes one record per run
(``<nonlinearity>/lr<rate>/seed<s>.json``). This module reads them back: which rate was
chosen, when each run first reached 25% training error, the tanh / ReLU ratio per seed
with a t-interval (on the log scale: a ratio's errors multiply), and chapter 3's figure.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .scorecard import records_folder, t975

FIGURE1_IN_RECORDS = Path("quick-cpu") / "figure1"
LEARNING_RATES = {"relu": (0.01, 0.03, 0.1), "tanh": (0.01, 0.03, 0.1)}
TARGET = 0.25  # "reaches a 25% training error rate"
PAPER_RATIO = 6.0  # "six times faster"
CHECKS_PER_EPOCH = 10  # benchmarks/figure1.py logs the training error every tenth of an epoch
STYLE = {"relu": "-", "tanh": "--"}  # the paper's solid and dashed lines


def run_path(out: str | Path, nonlinearity: str, lr: float, seed: int) -> Path:
    return Path(out) / nonlinearity / f"lr{lr:g}" / f"seed{seed}.json"


def find_figure1(records: str | Path | None = None) -> Path:
    """The folder of Figure 1's records (argument, ``ALEXNET_RECORDS`` or the repository)."""
    return records_folder(records) / FIGURE1_IN_RECORDS


def load_records(out: str | Path) -> list[dict]:
    """Every run's record under ``out``, its training-error windows made whole
    (:func:`merge_short_windows`)."""
    return [merge_short_windows(json.loads(p.read_text()))
            for p in sorted(Path(out).glob("*/lr*/seed*.json"))]


def window_ends(steps: int, checks: int = CHECKS_PER_EPOCH) -> list[int]:
    """The steps of an epoch of ``steps`` batches after which ``benchmarks/figure1.py`` logs
    the training error: every ``steps // checks`` batches, the remainder of the division
    going with the last window (so no window is shorter than the others)."""
    chunk = max(1, steps // checks)
    return [s for s in range(1, steps + 1)
            if s % chunk == 0 and steps - s >= chunk or s == steps]


def merge_short_windows(record: dict) -> dict:
    """``record`` with each training-error window shorter than half the others folded into
    the window before it (the errors weighted by their batches).

    An epoch of 351 batches logged every 35 batches left a last window of one batch, 128
    images, at every epoch's end: too noisy to read 25% from (one such reading once
    stopped a run early). ``benchmarks/figure1.py`` now logs the remainder with the tenth
    window; this makes records made before that read the same way. The number of batches
    in a window is read from the epochs logged and the record's ``train_size`` and
    ``batch``."""
    if "train_size" not in record or not record.get("history", {}).get("epoch"):
        return record
    h = record["history"]
    steps = record["train_size"] // record["batch"]
    chunk = max(1, steps // CHECKS_PER_EPOCH)
    merged = {"epoch": [], "train_error": [], "seconds": []}
    batches, before = [], 0.0
    for epoch, error, seconds in zip(h["epoch"], h["train_error"], h["seconds"], strict=True):
        n = round((epoch - before) * steps)
        before = epoch
        if batches and 2 * n < chunk:
            total = batches[-1] + n
            merged["train_error"][-1] = (merged["train_error"][-1] * batches[-1]
                                         + error * n) / total
            merged["epoch"][-1], merged["seconds"][-1], batches[-1] = epoch, seconds, total
        else:
            for key, value in (("epoch", epoch), ("train_error", error), ("seconds", seconds)):
                merged[key].append(value)
            batches.append(n)
    return {**record, "history": {**h, **merged}}


def reached(history: dict, target: float = TARGET, key: str = "epoch") -> float | None:
    """The first logged ``key`` (epoch or seconds) at which training error <= ``target``."""
    for value, error in zip(history[key], history["train_error"], strict=True):
        if error <= target:
            return value
    return None


def selection_error(record: dict) -> float:
    """Validation error after the record's ``select_epochs`` epochs (1.0 if it diverged)."""
    h = record["history"]
    epochs = [e for e in h["val_epoch"] if e <= record["select_epochs"]]
    if record.get("diverged") or not epochs:
        return 1.0
    return h["val_error"][len(epochs) - 1]


def choose_rates(out: str | Path) -> dict[str, float]:
    """Per nonlinearity, the rate whose first-seed run had the lowest selection error."""
    records = load_records(out)
    first = min(r["seed"] for r in records)
    chosen = {}
    for name in LEARNING_RATES:
        grid = [r for r in records if r["nonlinearity"] == name and r["seed"] == first]
        if grid:
            chosen[name] = min(grid, key=selection_error)["lr"]
    return chosen


def chosen_runs(out: str | Path) -> dict[str, dict[int, dict]]:
    """``{nonlinearity: {seed: record}}`` at the chosen rates."""
    chosen = choose_rates(out)
    runs: dict[str, dict[int, dict]] = {name: {} for name in chosen}
    for r in load_records(out):
        if chosen.get(r["nonlinearity"]) == r["lr"]:
            runs[r["nonlinearity"]][r["seed"]] = r
    return runs


def ratio(out: str | Path, key: str = "epoch") -> dict:
    """tanh's epochs (or seconds) to 25% over ReLU's, paired by seed: the geometric mean
    and its 95% t-interval. A run that never reached 25% counts at its last logged value,
    which makes the ratio a lower bound (``censored`` says how many)."""
    runs = chosen_runs(out)
    logs, censored = [], 0
    for seed in sorted(set(runs.get("relu", {})) & set(runs.get("tanh", {}))):
        if not all(runs[n][seed].get("finished", True) for n in ("tanh", "relu")):
            continue  # a run still in progress (or stopped after the rate selection)
        t = [reached(runs[n][seed]["history"], key=key) for n in ("tanh", "relu")]
        if t[1] is None:
            continue  # ReLU did not reach 25%: no ratio to take
        if t[0] is None:
            censored += 1
            t[0] = runs["tanh"][seed]["history"][key][-1]
        logs.append(math.log(t[0] / t[1]))
    n = len(logs)
    if n == 0:
        return {"n": 0, "censored": censored}
    mean = sum(logs) / n
    half = t975(n - 1) * math.sqrt(sum((v - mean) ** 2 for v in logs) / (n - 1) / n) \
        if n > 1 else math.inf
    return {"n": n, "censored": censored, "ratio": math.exp(mean),
            "low": math.exp(mean - half), "high": math.exp(mean + half)}


def _epochs_text(record: dict, epochs: float | None, chosen: dict) -> str:
    if epochs is not None:
        return f"{epochs:.1f}"
    if record.get("finished", True):
        return "not reached"
    if chosen.get(record["nonlinearity"]) == record["lr"]:
        return "in progress"
    return "stopped after the selection"


def summary(out: str | Path) -> str:
    """A markdown table: each run's rate, seed, epochs and seconds to 25%, selection error."""
    chosen = choose_rates(out)
    lines = ["| nonlinearity | rate | seed | chosen | val error (selection) | epochs to 25% "
             "| seconds to 25% |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in load_records(out):
        e, s = reached(r["history"]), reached(r["history"], key="seconds")
        lines.append(
            f"| {r['nonlinearity']} | {r['lr']:g} | {r['seed']} | "
            f"{'yes' if chosen.get(r['nonlinearity']) == r['lr'] else ''} | "
            f"{selection_error(r):.3f} | {_epochs_text(r, e, chosen)} | "
            f"{'' if s is None else f'{s:.0f}'} |")
    for key, unit in (("epoch", "epochs"), ("seconds", "seconds")):
        q = ratio(out, key)
        if q["n"]:
            lines.append(f"\ntanh / ReLU, {unit} to 25%: {q['ratio']:.1f}x "
                         f"(95% interval {q['low']:.1f} to {q['high']:.1f}, {q['n']} seeds"
                         f"{', a lower bound' if q['censored'] else ''})")
    return "\n".join(lines)


def verdict(out: str | Path) -> str:
    """One sentence on the paper's claim, read from the ratio's interval."""
    q = ratio(out)
    if q["n"] < 2:
        runs = chosen_runs(out)
        done = [r for seeds in runs.values() for r in seeds.values() if r.get("finished")]
        if any(reached(r["history"]) is None for r in done if r["nonlinearity"] == "relu"):
            return "not resolved: ReLU did not reach 25% training error within the runs' epochs"
        return (f"not enough seeds for an interval yet ({q['n']} seed(s) with both runs "
                f"at 25%)")
    where = (f"tanh needs {q['ratio']:.1f}x the epochs of ReLU to reach 25% training error "
             f"(95% interval {q['low']:.1f} to {q['high']:.1f}, {q['n']} seeds)")
    if q["low"] > 1:
        if q["high"] < PAPER_RATIO:
            size = (f"ReLU is faster, but by less than the paper's {PAPER_RATIO:g}x, which "
                    f"lies above the interval")
        elif q["low"] > PAPER_RATIO:
            size = f"ReLU is faster by more than the paper's {PAPER_RATIO:g}x"
        else:
            size = f"the paper's {PAPER_RATIO:g}x lies inside the interval"
        return f"held in direction: {where}; {size}"
    if q["high"] < 1:
        return f"contradicted: {where}"
    return f"not resolved: {where}"


def plot_figure1(out: str | Path, ax=None):
    """Training error against epochs, each seed a thin line, the paper's 25% dashed."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4))
    chosen = choose_rates(out)
    for name, seeds in chosen_runs(out).items():
        for i, (_, r) in enumerate(sorted(seeds.items())):
            h = r["history"]
            ax.plot(h["epoch"], h["train_error"], STYLE[name], lw=1.2,
                    color="C0" if name == "relu" else "C3",
                    label=f"{name} (rate {chosen[name]:g})" if i == 0 else None)
    ax.axhline(TARGET, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epochs", ylabel="training error rate", ylim=(0, 0.9))
    ax.set_title("Figure 1, re-run: a four-layer net on CIFAR-10\n(one line per seed, "
                 "each at its own best rate)", fontsize=10)
    ax.legend()
    return ax
