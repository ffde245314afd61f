"""The closing chapter's verdicts: each comparison of the scorecard's family, read on its own
and after Holm's correction, for every scorecard the records hold.

:mod:`alexnet_lib.book.scorecard` does the statistics and :mod:`alexnet_lib.book.evidence`
names the family (:data:`~alexnet_lib.book.evidence.FAMILY`: every row's test top-1, and
the gap where the paper's claim is about overfitting). Here each comparison becomes one
line of a table that fits the page (:func:`verdict_rows`, :func:`markdown_table`), and the
book's ending is written from those lines (:func:`ending`): what held, what did not, what
was not resolved, and, when the records hold more than one scorecard (another regime of
training: other sizes, other epochs), which verdicts changed between them. A scorecard is
any folder of the records with ``baseline/seed<s>/history.json`` in it
(:func:`find_scorecards`), so a scorecard that is added later shows up without a change
here. Nothing here types a number: every value comes from the records.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ..errors import UserError
from .ablations import reference
from .convergence import SCHEDULE_CHECKS
from .evidence import FAMILY, IDEAS, LRN_PAIRS, load
from .scorecard import (
    SCORECARD_IN_RECORDS,
    epochs_to,
    holm,
    measure,
    paired_difference,
    records_folder,
)

ALPHA = 0.05
SHORT_MEASURES = {"single_top1": "top-1", "ten_crop_top1": "ten-crop", "gap": "gap"}
PREDICTS = {-1: "lower", 1: "higher", None: "no claim"}
# what a comparison says, read from its interval (plain) or its Holm-adjusted p-value
HELD, CONTRADICTED, OPEN = "held", "contradicted", "not resolved"
ONE_SEED, NONE_YET = "one seed", "no records"


def find_scorecards(records: str | Path | None = None) -> dict[str, Path]:
    """``{label: folder}`` for every scorecard in the records folder
    (:func:`~alexnet_lib.book.scorecard.records_folder`): a folder holding
    ``baseline/seed<s>/history.json``, labelled by its path inside the records folder
    ("quick-cpu/scorecard"), except the overfitting regime's runs at other schedule
    lengths (:data:`~alexnet_lib.book.convergence.SCHEDULE_CHECKS`: two rows, read by
    :mod:`~alexnet_lib.book.convergence`). The CPU scorecard comes first, the others in
    path order. Empty when there is no records folder."""
    try:
        root = records_folder(records)
    except UserError:
        return {}
    found = {p.parent.parent.parent for p in root.glob("**/baseline/seed*/history.json")
             if p.parent.name.removeprefix("seed").isdigit()}
    found -= {root / f for f in SCHEDULE_CHECKS}  # chapter 6's schedule lengths
    order = sorted(found, key=lambda f: (f != root / SCORECARD_IN_RECORDS, str(f)))
    return {f.relative_to(root).as_posix(): f for f in order}


def load_scorecards(records: str | Path | None = None) -> dict[str, dict[str, dict]]:
    """``{label: {row: {seed: record}}}`` for every scorecard of :func:`find_scorecards`."""
    return {label: load(folder) for label, folder in find_scorecards(records).items()}


def describe_regime(runs: dict[str, dict[int, dict]]) -> str:
    """A scorecard's regime in words, from its baseline's first record: "the quick
    profile: 45,000 training images, 18 epochs, width 0.25"."""
    base = runs.get("baseline", {})
    if not base:
        return "no baseline records"
    record = base[min(base)]
    config = record.get("config", {})
    epochs = config.get("recipe", {}).get("epochs", len(record["history"]["epoch"]))
    width = config.get("model", {}).get("width")
    train = record.get("data", {}).get("train")
    parts = [f"{train:,} training images" if train else None, f"{epochs} epochs",
             f"width {width:g}" if width is not None else None]
    return (f"the {record.get('name', '?')} profile: "
            + ", ".join(p for p in parts if p))


def reading(diff: dict, resolved: bool, expected: int | None) -> str:
    """One comparison in a word: HELD / CONTRADICTED where the paper predicts a direction
    (``expected``: -1 lower, +1 higher) and the comparison is ``resolved``, "lower" /
    "higher" where it predicts none, OPEN where not resolved, ONE_SEED or NONE_YET."""
    if diff["n"] == 0:
        return NONE_YET
    if diff["low"] is None:
        return ONE_SEED
    if not resolved:
        return OPEN
    if expected is None:
        return "higher" if diff["mean"] > 0 else "lower"
    return HELD if (diff["mean"] > 0) == (expected > 0) else CONTRADICTED


def interval(diff: dict) -> str:
    """A difference in points with its interval, short: "-1.42 [-2.27, -0.57]"."""
    if diff["mean"] is None:
        return "n/a"
    if diff["low"] is None:
        return f"{100 * diff['mean']:+.2f}"
    return f"{100 * diff['mean']:+.2f} [{100 * diff['low']:+.2f}, {100 * diff['high']:+.2f}]"


def verdict_rows(runs: dict[str, dict[int, dict]], alpha: float = ALPHA) -> list[dict]:
    """One dict per comparison of the family that has records: ``row``, ``reference``,
    ``measure`` (short), ``key``, ``idea``, ``n``, ``difference`` (:func:`interval`),
    ``mean``, ``p``, ``adjusted`` (Holm), ``paper`` (what the paper predicts for this
    measure: "lower", "higher", "no claim", or "see gap" where its claim is about another
    measure), ``plain`` (:func:`reading` of the 95% interval) and ``holm`` (of the
    Holm-adjusted p-value)."""
    diffs = {(row, key): paired_difference(runs.get(row, {}), runs.get(reference(row), {}),
                                           key) for row, key in FAMILY}
    adjusted = holm({k: d["p"] for k, d in diffs.items()})
    out = []
    for (row, key), d in diffs.items():
        if d["n"] == 0:
            continue
        idea, claim_key, sign = IDEAS[row]
        expected = sign if key == claim_key else None
        paper = (PREDICTS[expected] if key == claim_key or sign is None
                 else f"see {SHORT_MEASURES.get(claim_key, claim_key)}")
        plain = d["low"] is not None and not d["low"] <= 0 <= d["high"]
        after = adjusted[(row, key)] is not None and adjusted[(row, key)] < alpha
        out.append(dict(row=row, reference=reference(row), key=key, idea=idea, n=d["n"],
                        measure=SHORT_MEASURES.get(key, key), difference=interval(d),
                        mean=d["mean"], p=d["p"], adjusted=adjusted[(row, key)],
                        paper=paper, plain=reading(d, plain, expected),
                        holm=reading(d, after, expected)))
    return out


TABLE_COLUMNS = {"row": "row", "n": "n", "difference": "points [95% CI]", "paper": "paper",
                 "plain": "alone", "holm": "after Holm"}


def markdown_table(rows: list[dict], columns: dict[str, str] | None = None) -> str:
    """A markdown table of ``rows`` (dicts) with ``columns`` (``{key: heading}``, default
    :data:`TABLE_COLUMNS`, narrow enough for the book's page). Row names, and a reference
    other than the baseline, are set as code; where the table has no measure column, a
    row's measure other than top-1 follows its name ("`no_dropout` (gap)")."""
    columns = columns or TABLE_COLUMNS
    lines = ["| " + " | ".join(columns.values()) + " |",
             "| " + " | ".join("---" for _ in columns) + " |"]
    for r in rows:
        cells = []
        for key in columns:
            value = r.get(key, "")
            if key == "row":
                ref = r.get("reference", "baseline")
                value = f"`{value}`" + ("" if ref == "baseline" else f" vs `{ref}`")
                if "measure" not in columns and r.get("measure", "top-1") != "top-1":
                    value += f" ({r['measure']})"
            cells.append(str(value).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tally(rows: list[dict]) -> dict[str, int]:
    """Counts over :func:`verdict_rows`: ``comparisons`` (with an interval),
    ``resolved_alone``, ``resolved_holm``, and ``<reading>_alone`` / ``<reading>_holm``
    for each reading (``held_holm``, ``not resolved_alone``, ...)."""
    counts = {"comparisons": sum(r["p"] is not None for r in rows)}
    for kind, column in (("alone", "plain"), ("holm", "holm")):
        counts[f"resolved_{kind}"] = sum(r[column] not in (OPEN, ONE_SEED, NONE_YET)
                                         for r in rows)
        for r in rows:
            counts[f"{r[column]}_{kind}"] = counts.get(f"{r[column]}_{kind}", 0) + 1
    return counts


def _named(rows: list[dict], say: bool = False) -> str:
    """The rows in words: idea, row, measure and difference; with ``say``, also what the
    comparison reads alone and after Holm."""
    def said(r):
        return f"; {r['plain']} alone, {r['holm']} after Holm" if say else ""

    return "; ".join(f"{r['idea']} (`{r['row']}`, {r['measure']} {r['difference']}"
                     f"{said(r)})" for r in rows) or "none"


def regime_summary(label: str, runs: dict[str, dict[int, dict]]) -> str:
    """The ending for one scorecard, as markdown: which of the paper's claims held after
    Holm's correction, which held only on their own interval, which were contradicted,
    which are not resolved, and what the comparisons the paper makes no claim about
    show."""
    rows = verdict_rows(runs)
    claims = [r for r in rows if r["paper"] in ("lower", "higher")]
    groups = [
        ("Held, also after Holm's correction",
         [r for r in claims if r["holm"] == HELD], False),
        ("Held on its own interval, not after Holm's correction",
         [r for r in claims if r["plain"] == HELD and r["holm"] != HELD], False),
        ("Contradicted: resolved the other way than the paper says",
         [r for r in claims if CONTRADICTED in (r["plain"], r["holm"])], True),
        ("Not resolved: the records cannot tell which way",
         [r for r in claims if r["plain"] in (OPEN, ONE_SEED)], False),
        ("No claim of the paper for the measure, measured all the same",
         [r for r in rows if r not in claims], True),
    ]
    seeds = sum(len(s) for s in runs.values())
    lines = [f"**`{label}`** ({describe_regime(runs)}; {seeds} runs):", ""]
    lines += [f"- {title}: {_named(group, say)}." for title, group, say in groups]
    scale_said = input_scale_differences(rows)
    if scale_said:
        lines.append("- Depended on the input scale: " + "; ".join(scale_said) + ".")
    return "\n".join(lines)


def input_scale_differences(rows: list[dict]) -> list[str]:
    """The LRN comparisons (:data:`~alexnet_lib.book.evidence.LRN_PAIRS`) whose reading,
    alone or after Holm, differs between standardized inputs and the paper's 0..255
    scale, one phrase each."""
    by = {r["row"]: r for r in rows if r["key"] == "single_top1"}
    (standard, paper) = (LRN_PAIRS["standardized"], LRN_PAIRS["paper"])
    out = []
    for here, there in zip(standard, paper, strict=True):
        if here in by and there in by:
            a, b = by[here], by[there]
            if (a["plain"], a["holm"]) != (b["plain"], b["holm"]):
                out.append(f"{a['idea']} (`{here}`): {a['plain']} alone and {a['holm']} "
                           f"after Holm with standardized inputs, {b['plain']} alone and "
                           f"{b['holm']} after Holm at the paper's scale (`{there}`)")
    return out


def regime_differences(scorecards: dict[str, dict[str, dict]]) -> list[str]:
    """The comparisons whose Holm verdict differs between the scorecards that have
    records for them, one sentence each; empty with fewer than two scorecards."""
    if len(scorecards) < 2:
        return []
    by = {label: {(r["row"], r["key"]): r for r in verdict_rows(runs)}
          for label, runs in scorecards.items()}
    out = []
    for row, key in FAMILY:
        said = {label: rows[(row, key)]["holm"] for label, rows in by.items()
                if (row, key) in rows}
        if len(said) >= 2 and len(set(said.values())) > 1:
            out.append(f"`{row}` ({SHORT_MEASURES.get(key, key)}): "
                       + "; ".join(f"{v} in `{label}`" for label, v in said.items()))
    return out


def ending(scorecards: dict[str, dict[str, dict]]) -> str:
    """The book's ending as markdown, from every scorecard there is: one summary per
    scorecard (:func:`regime_summary`), then what depended on the regime
    (:func:`regime_differences`), or that only one regime has records so far."""
    if not scorecards:
        return "No scorecard has records yet: nothing to conclude."
    parts = [regime_summary(label, runs) for label, runs in scorecards.items()]
    changed = regime_differences(scorecards)
    if len(scorecards) < 2:
        parts.append("Only one regime of training has records so far, so the records "
                     "cannot yet say which verdicts depend on the regime.")
    elif changed:
        parts.append("Verdicts (after Holm) that differ between the regimes:\n\n"
                     + "\n".join(f"- {c}" for c in changed))
    else:
        parts.append(f"All {len(scorecards)} regimes give the same verdict (after Holm) "
                     f"wherever both have records.")
    return "\n\n".join(parts)


MEANS_COLUMNS = {"row": "row", "n": "seeds", "top1": "test top-1 %",
                 "ten": "ten-crop %", "gap": "gap, points", "epochs": "epochs to 25%"}


def _mean_sd(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.2f}" if values else ""
    return f"{statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f}"


def _epochs(records: list[dict], train_error: float) -> str:
    reached = [epochs_to(r["history"], train_error) for r in records]
    got = [e for e in reached if e is not None]
    if not got:
        return "not reached"
    mean = f"{statistics.fmean(got):.1f}"
    return mean if len(got) == len(reached) else f"{mean} ({len(got)} of {len(reached)})"


def row_means(runs: dict[str, dict[int, dict]], rows, train_error: float = 0.25
              ) -> list[dict]:
    """One dict per row of ``rows`` with records, for :func:`markdown_table` with
    :data:`MEANS_COLUMNS`: ``n`` seeds, test top-1 and ten-crop top-1 in % and the
    train - test gap in points (mean ± standard deviation over seeds), and the mean first
    epoch with training error at most ``train_error`` ("(k of n)" when only k seeds got
    there, "not reached" when none did)."""
    out = []
    for row in rows:
        records = [runs[row][s] for s in sorted(runs.get(row, {}))]
        if records:
            gaps = [100 * g for g in (measure(r, "gap") for r in records) if g is not None]
            out.append(dict(row=row, n=len(records), gap=_mean_sd(gaps),
                            top1=_mean_sd([100 * measure(r, "single_top1") for r in records]),
                            ten=_mean_sd([100 * measure(r, "ten_crop_top1") for r in records]),
                            epochs=_epochs(records, train_error)))
    return out
