"""A chapter's small live run, read against the recorded runs.

Chapters 3-7 lead with the records (several seeds, the whole training set) and keep a
small live run after them for the reader to re-run. One seed of a short run on a subset
can go the other way; these functions say, from the run's own numbers, whether it does,
so that the page says so beside it. They also read Figure 1's measure, epochs to 25%
training error, from the scorecard's records (:func:`race_lines`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .ablations import reference
from .evidence import points
from .figure1 import chosen_runs, find_figure1, load_records
from .figure1 import reached as reached_at
from .scorecard import epochs_to, paired_difference

TARGET = 0.25  # Figure 1's "25% training error rate"
FIGURE1_COMMAND = "python benchmarks/figure1.py --out data/records/quick-cpu/figure1"
NO_FIGURE1 = ("Figure 1's records are not here yet: from the repository's root, "
              f"`{FIGURE1_COMMAND}` makes them (hours on one CPU core; it resumes where "
              "it stopped)")


def figure1_records(records: str | Path | None = None) -> Path | None:
    """Figure 1's records folder (:func:`~alexnet_lib.book.figure1.find_figure1`) if it
    holds at least one record; None when there is no records folder (a copy of the book
    without the repository), no Figure 1 folder, or no record in it yet."""
    try:
        out = find_figure1(records)
    except UserError:
        return None
    return out if out.is_dir() and load_records(out) else None


def figure1_leader(out: str | Path) -> str | None:
    """The nonlinearity that reached 25% training error first in every seed of Figure
    1's finished runs at the chosen rates (:func:`~alexnet_lib.book.figure1.chosen_runs`);
    None if the seeds disagree or no seed has both runs finished."""
    runs = chosen_runs(out)
    done = [{s for s, r in runs.get(n, {}).items() if r.get("finished")}
            for n in ("relu", "tanh")]
    leaders = {first_to({n: reached_at(runs[n][s]["history"]) for n in ("relu", "tanh")})
               for s in done[0] & done[1]}
    return leaders.pop() if len(leaders) == 1 and None not in leaders else None


def first_to(epochs: dict[str, int | None]) -> str | None:
    """The name with the fewest epochs to the target (None: never reached); None when
    no one reached it or two tied."""
    reached = {name: e for name, e in epochs.items() if e is not None}
    if not reached:
        return None
    best = min(reached.values())
    leaders = [name for name, e in reached.items() if e == best]
    return leaders[0] if len(leaders) == 1 else None


def seed_epochs(seeds: dict[int, dict], target: float = TARGET) -> dict[int, int | None]:
    """``{seed: epochs to target training error}`` of one row's records."""
    return {s: epochs_to(r["history"], target) for s, r in sorted(seeds.items())}


def records_leader(runs: dict[str, dict[int, dict]], rows: dict[str, str],
                   target: float = TARGET) -> str | None:
    """The name (a key of ``rows``, which maps names to scorecard rows) that reached
    ``target`` first in every seed the rows share; None if the seeds disagree, tie, or
    there are none."""
    reached = {name: seed_epochs(runs.get(row, {}), target) for name, row in rows.items()}
    shared = set.intersection(*(set(r) for r in reached.values()))
    leaders = {first_to({name: r[s] for name, r in reached.items()}) for s in shared}
    return leaders.pop() if len(leaders) == 1 and None not in leaders else None


def race_lines(runs: dict[str, dict[int, dict]], fast: str = "baseline",
               slow: str = "tanh", target: float = TARGET) -> list[str]:
    """Figure 1's measure in the records: per row, each seed's epochs to ``target``
    training error, then the ratio ``slow`` / ``fast`` (mean over seeds), or the bound on
    it when no ``slow`` run got there; [] when a row has no records."""
    if not runs.get(fast) or not runs.get(slow):
        return []
    lines, reached, length = [], {}, {}
    for row in (fast, slow):
        reached[row] = list(seed_epochs(runs[row], target).values())
        length[row] = max(len(r["history"]["epoch"]) for r in runs[row].values())
        shown = [str(e) if e is not None else f"not in {length[row]}" for e in reached[row]]
        lines.append(f"{row}: epochs to {target:.0%} training error, seeds "
                     f"{sorted(runs[row])}: {', '.join(shown)}")
    if None in reached[fast]:
        return [*lines, f"not every {fast} run reached {target:.0%}: no ratio"]
    if None not in reached[slow]:
        mean = {row: sum(e) / len(e) for row, e in reached.items()}
        return [*lines, f"{slow} needed {mean[slow] / mean[fast]:.1f}x the epochs of "
                        f"{fast} (mean over seeds)"]
    if all(e is None for e in reached[slow]):
        bound = length[slow] / max(reached[fast])
        return [*lines, f"no {slow} run reached {target:.0%} in its {length[slow]} "
                        f"epochs: {fast} was more than {bound:.1f}x faster (a bound)"]
    return [*lines, f"some {slow} runs reached {target:.0%} and some did not: no ratio"]


def _epoch(e: int | None) -> str:
    return "not reached" if e is None else f"epoch {e}"


def race_reading(demo: dict[str, int | None], leader: str | None,
                 records: str = "the records", target: float = TARGET) -> str:
    """One sentence on a live run's race to ``target`` (``{name: epochs or None}``, two
    names), against ``leader``, the name that was first in every seed of ``records``
    (:func:`records_leader`, :func:`figure1_leader`; None: the records name none)."""
    first = first_to(demo)
    (a, ea), (b, eb) = demo.items()
    if first is None and ea is None:
        said = f"neither network reached {target:.0%} training error"
    elif first is None:
        said = f"both networks reached {target:.0%} training error at epoch {ea}"
    else:
        other = b if first == a else a
        said = (f"{first} reached {target:.0%} training error first ({_epoch(demo[first])}; "
                f"{other}: {_epoch(demo[other])})")
    if leader is None:
        return f"{said}; {records} name no network that was first in every seed"
    where = f"{records}, where {leader} was first in every seed"
    if first == leader:
        return f"{said}: the same order as {where}"
    if first is None:
        return f"{said}, so it does not show the order of {where}"
    return f"{said}: the opposite of {where}"


def difference_reading(demo: float, runs: dict[str, dict[int, dict]], row: str,
                       key: str = "single_top1") -> dict:
    """A live run's difference ``demo`` (row minus its reference, as a fraction) against
    the records' paired difference for ``row`` and ``key``: ``demo`` and ``records`` in
    points (strings), ``same_direction`` and ``inside`` (the records' 95% interval; None
    where the records cannot say) and ``sentence``."""
    d = paired_difference(runs.get(row, {}), runs.get(reference(row), {}), key)
    out = {"demo": f"{100 * demo:+.2f}", "records": points(d), "same_direction": None,
           "inside": None}
    if d["n"] == 0:
        out["sentence"] = f"the records have no {row} runs to compare with yet"
        return out
    out["same_direction"] = demo != 0 and (demo > 0) == (d["mean"] > 0)
    way = "the same way as" if out["same_direction"] else "the other way from"
    said = f"{way} the records' mean"
    if d["low"] is not None:
        out["inside"] = d["low"] <= demo <= d["high"]
        times = abs(demo / d["mean"]) if d["mean"] else float("inf")
        said += (f", {'inside' if out['inside'] else 'outside'} their 95% interval"
                 f", {times:.1f}x the size of their mean")
    out["sentence"] = (f"this run: {out['demo']} points; the records: {out['records']} "
                       f"points; this run goes {said}")
    return out
