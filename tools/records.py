"""The tables of results in the README and the book, made from the recorded runs.

    python tools/records.py            # rewrite the generated blocks
    python tools/records.py --check    # exit 1 if a block is out of date (a test runs it)

Every number the README and ``book/intro.md`` state about a run sits in a block between
``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``, written here from the JSON records
in ``data/records/`` (see its README) and from ``alexnet_lib.config.PROFILES``. Nothing in
those blocks is typed by hand: edit the records or the code, then run this script.

Records come in two formats: today's (``alexnet_lib.run.run_training``: the whole run config
under ``"config"``) and the older one (``"profile"``, ``"profile_config"``, ``"model"``);
:func:`normalize` reads both.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ablation_tables import gap_table, scorecard, table

from alexnet_lib.book import evidence
from alexnet_lib.config import PROFILES

ROOT = Path(__file__).resolve().parent.parent  # the repository (this is repository tooling)

RECORDS = ROOT / "data" / "records"
TARGETS = (ROOT / "README.md", ROOT / "book" / "intro.md",
           ROOT / "data" / "records" / "README.md")

# (record folder under data/records, profile, what it is, the command that made it: shown
# for a record that does not name its own command)
RESULT_RUNS = (
    ("smoke-cpu", "smoke", "`smoke` profile", "python -m alexnet_lib train --profile smoke"),
    ("quick-cpu", "quick", "`quick` profile", "python -m alexnet_lib train --profile quick"),
    ("gpu-h200/ablations-full/baseline", "full", "`full` profile (stage 1 of `gpu_runs.py`)",
     "python benchmarks/gpu_runs.py"),
)
# one-seed ablation tables: (folder of row records, profile, command, record of the
# baseline row if it lives elsewhere). Both were recorded with the code before the run
# config, bf16 on the CPU and the closed-form LRN (15 epochs, fp32, torchvision's dropout
# placement); the CPU rows' baseline is the `quick` run of that code.
ABLATIONS = ("gpu-h200/ablations-quick", "`quick`", "python benchmarks/gpu_runs.py", None)
ABLATIONS_CPU = ("quick-cpu/ablations", "`quick`",
                 "python benchmarks/ablations.py --profile quick --out data/records/quick-cpu/"
                 "ablations", None)
# scorecards: (folder of <row>/seed<s>/history.json, profile, the command that makes them)
SCORECARD_CPU = ("quick-cpu/scorecard", "`quick`",
                 "python benchmarks/ablations.py --profile quick --seeds 0 1 2 "
                 "--out data/records/quick-cpu/scorecard")
SCORECARD_OVERFIT = ("quick-cpu/overfit", "`quick` in the overfitting regime",
                     evidence.SWEEP_COMMANDS["overfit"])
PIPELINES = ("pipeline-cpu.json", "gpu-h200/pipeline.json")

# the older format's fields, by the part of today's RunConfig they belong to
_OLD_DATA = ("train_size", "val_size", "test_size", "crop_padding", "flip", "lighting")
_OLD_RECIPE = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "nesterov",
               "label_smoothing", "warmup_fraction")


def normalize(record: dict) -> dict:
    """``record`` in today's format, whatever format it was written in.

    An older record's fields are moved to where today's config keeps them; fields it does
    not hold are left out, never filled in with today's defaults. Its model config wins
    over its profile's width and dropout, since the model is what trained (older records
    can disagree: the no_dropout row's profile says 0.5). ``lrn`` True/False becomes
    "paper"/"none". Such records have no ``test["train_top1"]`` (see ``ablation_tables.gap``).
    """
    if "config" in record:
        return record
    profile, old_model = record["profile_config"], record.get("model", {})
    model = {k: v for k, v in old_model.items() if k != "name"}
    if "name" in old_model:
        model["arch"] = old_model["name"]
    for key in ("width", "dropout"):
        if key not in model and key in profile:
            model[key] = profile[key]
    if isinstance(model.get("lrn"), bool):
        model["lrn"] = "paper" if model["lrn"] else "none"
    config = {"name": record["profile"], "seed": record.get("seed", 0), "model": model,
              "data": {k: profile[k] for k in _OLD_DATA if k in profile},
              "recipe": {k: profile[k] for k in _OLD_RECIPE if k in profile}}
    rest = {k: v for k, v in record.items()
            if k not in ("profile", "profile_config", "model", "seed")}
    return {"name": record["profile"], "config": config, **rest}


def load(path: Path) -> dict:
    return normalize(json.loads(Path(path).read_text()))


def load_folder(folder: Path) -> dict[str, dict]:
    """``{run name: record}`` for every ``folder/<run>/history.json`` (finished runs only)."""
    return {p.parent.name: load(p) for p in sorted(Path(folder).glob("*/history.json"))}


def load_seeds(folder: Path) -> dict[str, dict[int, dict]]:
    """``{row: {seed: record}}`` for every ``folder/<row>/seed<s>/history.json``."""
    runs: dict[str, dict[int, dict]] = {}
    for path in sorted(Path(folder).glob("*/seed*/history.json")):
        seed = path.parent.name.removeprefix("seed")
        if seed.isdigit():
            runs.setdefault(path.parent.parent.name, {})[int(seed)] = load(path)
    return runs


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _shown(config: dict) -> tuple:
    """The settings the profile table shows, from a config dict (a record's or a profile's)."""
    data, recipe = config["data"], config["recipe"]
    return (data.get("train_size"), data.get("val_size"), data.get("test_size"),
            config["model"].get("width"), recipe.get("epochs"), recipe.get("batch_size"),
            recipe.get("lr"))


def measured_time(profile: str, records: Path = RECORDS) -> str:
    """The wall time of the profile's recorded run (``RESULT_RUNS``), and where it ran."""
    for folder, name, _, _ in RESULT_RUNS:
        path = records / folder / "history.json"
        if name != profile or not path.is_file():
            continue
        r = load(path)
        if _shown(r["config"]) != _shown(PROFILES[profile].to_dict()):
            return "not recorded with these settings"
        return f"{_duration(r['wall_seconds'])} on {r['device']}"
    return "not recorded"


def profiles_block(records: Path = RECORDS) -> str:
    lines = ["| profile | training / validation / test images | width | epochs | batch | "
             "learning rate | wall time of its recorded run |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, p in PROFILES.items():
        d, r = p.data, p.recipe
        if d.source == "cifar10":
            train = f"{d.train_size:,}" if d.train_size else f"{50_000 - d.val_size:,}"
            test = f"{d.test_size:,}" if d.test_size else "10,000"
            images = f"{train} / {d.val_size:,} / {test}"
        else:  # the paper's recipe reads photographs (--data imagefolder:DIR)
            images = "a folder of photographs: all / all of val / val"
        lines.append(f"| `{name}` | {images} | {p.model.width} | "
                     f"{r.epochs} | {r.batch_size} | {r.lr} | {measured_time(name, records)} |")
    return "\n".join(lines)


def results_block(records: Path = RECORDS) -> str:
    lines = ["| run | device | test top-1 | top-5 | ten-crop top-1 | wall time | command |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for folder, _, what, command in RESULT_RUNS:
        path = records / folder / "history.json"
        if not path.is_file():
            continue
        r = load(path)
        t = r["test"]
        lines.append(f"| {what} | {r['device']}, torch {r['torch']} | "
                     f"{_pct(t['single_top1'])} | {_pct(t['single_top5'])} | "
                     f"{_pct(t['ten_crop_top1'])} | {_duration(r['wall_seconds'])} | "
                     f"`{r.get('command', command)}` |")
    return "\n".join(lines)


def _setting(config: dict) -> str:
    recipe = config["recipe"]
    return (f"batch {recipe['batch_size']}, lr {recipe['lr']}, {recipe['epochs']} epochs, "
            f"width {config['model']['width']}")


GAP_NOTE = ("The train - test gap is chapter 6's: eval-mode accuracy on the un-augmented "
            "training images minus test accuracy.")
GAP_NA = (" It is n/a where a record predates that measurement; \"last train acc\" (the last "
          "epoch's accuracy on augmented batches with dropout on) is not the same measure.")


def ablations_block(records: Path = RECORDS, spec: tuple = ABLATIONS) -> str:
    folder, profile, command, baseline = spec
    found = load_folder(records / folder)
    if baseline and (records / baseline).is_file() and "baseline" not in found:
        found = {"baseline": load(records / baseline), **found}
    if not found:
        return "(no recorded ablation runs)"
    devices = sorted({r["device"] for r in found.values()})
    config = found.get("baseline", next(iter(found.values())))["config"]
    where = f"`data/records/{folder}/`" + (f" (baseline: `data/records/{baseline}`)"
                                           if baseline and "baseline" in found else "")
    na = any("train_top1" not in r["test"] for r in found.values())
    head = (f"Profile {profile} ({_setting(config)}), one seed, recorded on "
            f"{', '.join(devices)} by `{command}`; the records are in {where}. "
            f"{GAP_NOTE}{GAP_NA if na else ''}")
    return head + "\n\n" + table(found)


def _where_recorded(runs: dict[str, dict[int, dict]]) -> tuple[list[dict], list[str], dict]:
    """A scorecard's records, the devices they ran on, and the config its caption shows
    (the baseline's first run, or any run while the baseline has none)."""
    every = [r for seeds in runs.values() for r in seeds.values()]
    base = runs.get("baseline", {})
    config = next(iter(base.values()) if base else iter(every))["config"]
    return every, sorted({r["device"] for r in every}), config


def scorecard_block(records: Path = RECORDS, spec: tuple = SCORECARD_CPU) -> str:
    folder, profile, command = spec
    runs = load_seeds(records / folder)
    if not runs:
        return (f"(no scorecard records yet in `data/records/{folder}/`; `{command}` "
                f"makes them)")
    every, devices, config = _where_recorded(runs)
    head = (f"Profile {profile} ({_setting(config)}), recorded on {', '.join(devices)} by "
            f"`{command}`; the records are in `data/records/{folder}/<row>/seed<s>/`. A row's "
            f"seed-s run is paired with the baseline's seed-s run (same initial weights where "
            f"the architecture allows, same data order and augmentation); the two rows "
            f"`paper_scale_no_lrn` and `paper_scale_lrn_constant` are paired with "
            f"`paper_scale` instead, as their \"vs\" says. \"vs reference\" is "
            f"the mean over the paired seeds of the row's single-view test top-1 minus the "
            f"reference's, with a 95% confidence interval (t-distribution, n - 1 degrees of "
            f"freedom); a row whose interval contains 0 is not resolved at this scale. "
            f"\"± sd\" is the standard deviation of a row's accuracy over its seeds (not "
            f"an interval). \"After Holm\": the verdict once the "
            f"{evidence.family_size(runs)} comparisons of the family (every row's top-1, and "
            f"the gap for dropout and augmentation) are corrected together with Holm's "
            f"method, so that a spurious \"resolved\" anywhere in the family has at most a "
            f"5% chance. Epochs "
            f"to 25% training error: Figure 1's measure, on the batches as trained, mean over "
            f"the seeds that reach it. {GAP_NOTE}"
            f"{GAP_NA if any('train_top1' not in r['test'] for r in every) else ''}")
    # chapter 4's reading of the two LRN rows together, decided by code from the intervals
    reading = "\n".join(f"- {evidence.lrn_reading(runs, scale)}" for scale in evidence.LRN_PAIRS)
    return (head + "\n\n" + scorecard(runs) + "\n\n" + GAP_TABLE_NOTE + "\n\n" +
            gap_table(runs) + "\n\nLRN read with its constant-gain control "
            "(`alexnet_lib.book.evidence.lrn_reading`):\n\n" + reading)


GAP_TABLE_NOTE = ("Overfitting, row by row: the same records' eval-mode training top-1 and "
                  "train - test gap, the gap's paired difference from the reference with its "
                  "95% interval (after Holm only where the gap is in the family: dropout and "
                  "augmentation), and how much the validation top-1 still moved over the "
                  "last tenth of the epochs (near 0: flat at the end; the learning rate "
                  "decays to 0 there, which flattens every curve somewhat).")


def figure1_block(records: Path = RECORDS) -> str:
    """Figure 1's records (``benchmarks/figure1.py``): every run and the verdict."""
    from alexnet_lib.book import figure1

    out = records / "quick-cpu" / "figure1"
    if not list(out.glob("*/lr*/seed*.json")):
        return ("(no records yet in `data/records/quick-cpu/figure1/`; "
                "`python benchmarks/figure1.py --out data/records/quick-cpu/figure1` makes them)")
    return figure1.summary(out) + "\n\nVerdict: " + figure1.verdict(out) + "."


def overfit_block(records: Path = RECORDS, spec: tuple = SCORECARD_OVERFIT) -> str:
    """The regularization rows in the overfitting regime: the scorecard and the gap table,
    with the regime's own Holm family."""
    folder, profile, command = spec
    runs = load_seeds(records / folder)
    if not runs:
        return (f"(no records yet in `data/records/{folder}/`; `{command}` makes them, "
                f"hours on a CPU)")
    _, devices, config = _where_recorded(runs)
    head = (f"Profile {profile} ({_setting(config)}, {config['data']['train_size']:,} "
            f"training images), recorded on {', '.join(devices)} by `{command}`; the records "
            f"are in `data/records/{folder}/<row>/seed<s>/`. Every row is paired with this "
            f"regime's baseline, seed by seed, and read as the table above; Holm's "
            f"correction runs over this regime's own family of "
            f"{evidence.family_size(runs)} comparisons (each row's top-1, and the gap for "
            f"dropout and augmentation). Every row is scored after the same "
            f"{config['recipe']['epochs']} epochs; the last column of the second table "
            f"shows whether its validation curve was still moving. {GAP_NOTE}")
    return (head + "\n\n" + scorecard(runs) + "\n\n" + gap_table(runs))


def schedule_block(records: Path = RECORDS) -> str:
    """The overfitting regime's baseline and no_dropout at 40, 80 and 160 epochs: whether
    80 epochs were long enough, and dropout's "doubles the number of iterations"."""
    from alexnet_lib.book import convergence

    schedules = convergence.load(records)
    missing = convergence.missing_command(schedules)
    if not schedules:
        return f"(no records yet; {missing} make them)"
    text = (convergence.summary(schedules) + "\n\nVerdict on \"roughly doubles the number "
            "of iterations required to converge\": " + convergence.verdict(schedules) + "."
            "\n\nThe regime's dropout comparison at each length (paired over seeds):\n\n"
            + "\n".join(f"- {line.strip()}" for line in
                        convergence.dropout_at_each_length(schedules).splitlines()))
    return text + (f"\n\nStill to run: `{missing}`." if missing else "")


def pipeline_block(records: Path = RECORDS) -> str:
    lines = ["| setting | library `DeviceLoader` | `DataLoader` + PIL transforms | ratio |",
             "| --- | --- | --- | --- |"]
    for name in PIPELINES:
        if (records / name).is_file():
            p = json.loads((records / name).read_text())
            rate = p["images_per_second"]
            lines.append(f"| {p['device']}, torch {p['torch']}, width {p['width']}, batch "
                         f"{p['batch_size']}, {p['steps']} timed steps | "
                         f"{rate['library']:,.0f} img/s | {rate['alternative']:,.0f} img/s | "
                         f"**{p['ratio']:.2f}** |")
    return "\n".join(lines)


CPU_SPEED = "cpu-speed.json"


def cpu_speed_block(records: Path = RECORDS) -> str:
    """The levers of ``benchmarks/cpu_speed.py``, one row each, from its record."""
    path = records / CPU_SPEED
    if not path.is_file():
        return "(no cpu-speed record)"
    r = json.loads(path.read_text())
    m, s = r["machine"], r["settings"]
    lines = [f"{m['cpu']}, {m['cores']} cores, torch {r['torch']}; {s['model']}, batch "
             f"{s['batch_size']}; median of {s['rounds']} alternating rounds of {s['steps']} "
             f"steps; `{r['command']}` at commit `{(r.get('commit') or '?')[:7]}`.",
             "",
             "| path | ms per training step | speed-up over today's |",
             "| --- | --- | --- |"]
    for row in r["rows"]:
        if row.get("error"):
            lines.append(f"| {row['name']} | failed: {row['error']} | |")
        else:
            lines.append(f"| {row['name']} | {row['median_ms_per_step']:.1f} | "
                         f"x{row['speedup_vs_today']:.2f} |")
    lines += ["", f"speedup **{r['speedup']:.2f}** (the default path against today's)"]
    return "\n".join(lines)


BLOCKS = {"profiles": profiles_block, "results": results_block,
          "ablations": ablations_block, "pipeline": pipeline_block,
          "cpu_speed": cpu_speed_block,
          "ablations_cpu": lambda: ablations_block(spec=ABLATIONS_CPU),
          "scorecard_cpu": scorecard_block, "scorecard_overfit": overfit_block,
          "figure1": figure1_block, "schedule_overfit": schedule_block}
BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end: \2 -->)", re.DOTALL)


def render(text: str) -> str:
    """``text`` with every generated block rewritten from the records."""
    def fill(m: re.Match) -> str:
        if m[2] not in BLOCKS:
            raise ValueError(f"unknown generated block {m[2]!r}: one of {', '.join(BLOCKS)}")
        return f"{m[1]}{BLOCKS[m[2]]()}\n{m[4]}"

    return BLOCK.sub(fill, text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale blocks")
    args = parser.parse_args(argv)
    stale = []
    for path in TARGETS:
        text = path.read_text()
        new = render(text)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new)
    verb = "out of date" if args.check else "rewritten"
    for path in stale:
        print(f"{path.relative_to(ROOT)}: {verb}")
    if args.check and stale:
        print("run: python tools/records.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
