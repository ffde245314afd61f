"""The ablation rows: the paper's claims, one ingredient of ``AlexNetCIFAR`` switched at a time.

``benchmarks/ablations.py`` trains the rows; :func:`table` prints recorded rows as markdown
(the README and the book show that table, made by ``python -m alexnet_lib.records``).
"""

from __future__ import annotations

# row name -> (what the paper says, model overrides, profile overrides)
ROWS = {
    "baseline": ("all of the paper's ingredients on", {}, {}),
    "tanh": ("ReLU trains ~6x faster than tanh (Figure 1)", {"activation": "tanh"}, {}),
    "no_lrn": ("LRN cuts error 13% -> 11% (section 3.3)", {"lrn": False}, {}),
    "no_overlap": ("overlapping pools: -0.4% top-1 error (section 3.4)",
                   {"overlap_pool": False}, {}),
    "no_dropout": ("without dropout, substantial overfitting (section 4.2)",
                   {"dropout": 0.0}, {}),
    "no_augment": ("without augmentation, substantial overfitting (section 4.1)", {},
                   {"crop_padding": 0, "flip": False, "lighting": 0.0}),
    "no_lighting": ("PCA lighting: -1% top-1 error (section 4.1)", {}, {"lighting": 0.0}),
}


def epochs_to(history: dict, train_error: float) -> int | None:
    """The first epoch whose training error (on augmented batches) is at most ``train_error``."""
    for epoch, acc in zip(history["epoch"], history["train_acc"], strict=True):
        if 1 - acc <= train_error:
            return epoch
    return None


def table(records: dict[str, dict]) -> str:
    """Markdown table of the recorded rows, in the order of ``ROWS``.

    "vs baseline" is the row's single-view test top-1 minus the baseline's: the paper's
    claim holds for a row where switching the ingredient off costs accuracy.
    """
    base = records.get("baseline", {}).get("test", {}).get("single_top1")
    lines = ["| row | paper | test top-1 | vs baseline | ten-crop top-1 | last train acc "
             "| train - test gap | epochs to 25% train error | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, (claim, _, _) in ROWS.items():
        if name not in records:
            continue
        r = records[name]
        top1, ten = r["test"]["single_top1"], r["test"]["ten_crop_top1"]
        delta = "" if base is None or name == "baseline" else f"{top1 - base:+.2%}"
        train_acc = r["history"]["train_acc"][-1]
        reached = epochs_to(r["history"], 0.25)
        reached = str(reached) if reached else f"not in {len(r['history']['epoch'])}"
        lines.append(f"| {name} | {claim} | {top1:.2%} | {delta} | {ten:.2%} | {train_acc:.2%} | "
                     f"{train_acc - top1:+.2%} | {reached} | {r['train_seconds']:.0f} |")
    return "\n".join(lines)
