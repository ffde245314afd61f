"""The tables of results in the README and the book, made from the recorded runs.

    python -m alexnet_lib.records            # rewrite the generated blocks
    python -m alexnet_lib.records --check    # exit 1 if a block is out of date (a test runs it)

Every number the README and ``book/intro.md`` state about a run sits in a block between
``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``, written here from the JSON records
in ``data/records/`` (see its README) and from ``profiles.PROFILES``. Nothing in those blocks
is typed by hand: edit the records or the code, then run this module.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .ablations import table as ablation_table
from .profiles import PROFILES

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "data" / "records"
TARGETS = (ROOT / "README.md", ROOT / "book" / "intro.md")

# (record folder under data/records, what it is, the command that made it)
RESULT_RUNS = (
    ("smoke-cpu", "`smoke` profile", "python -m alexnet_lib train --profile smoke"),
    ("quick-cpu", "`quick` profile", "python -m alexnet_lib train --profile quick"),
    ("gpu-h200/ablations-full/baseline", "`full` profile (stage 1 of `gpu_runs.py`)",
     "python benchmarks/gpu_runs.py"),
)
# ablation tables: (folder of row records, profile, command, record of the baseline row if
# it lives elsewhere). The CPU rows share their baseline with the `quick` result above.
ABLATIONS = ("gpu-h200/ablations-quick", "`quick`", "python benchmarks/gpu_runs.py", None)
ABLATIONS_CPU = ("quick-cpu/ablations", "`quick`",
                 "python benchmarks/ablations.py --profile quick --out data/records/quick-cpu/"
                 "ablations", "quick-cpu/history.json")
PIPELINES = ("pipeline-cpu.txt", "gpu-h200/pipeline.txt")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def load_folder(folder: Path) -> dict[str, dict]:
    """``{run name: record}`` for every ``folder/<run>/history.json`` (finished runs only)."""
    return {p.parent.name: load(p) for p in sorted(Path(folder).glob("*/history.json"))}


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def profiles_block() -> str:
    lines = ["| profile | training / validation / test images | width | epochs | batch | "
             "learning rate | expected time |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in PROFILES.values():
        train = f"{p.train_size:,}" if p.train_size else f"{50_000 - p.val_size:,}"
        test = f"{p.test_size:,}" if p.test_size else "10,000"
        lines.append(f"| `{p.name}` | {train} / {p.val_size:,} / {test} | {p.width} | "
                     f"{p.epochs} | {p.batch_size} | {p.lr} | {p.expected_minutes:g} min |")
    return "\n".join(lines)


def results_block(records: Path = RECORDS) -> str:
    lines = ["| run | device | test top-1 | top-5 | ten-crop top-1 | wall time | command |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for folder, what, command in RESULT_RUNS:
        path = records / folder / "history.json"
        if not path.is_file():
            continue
        r = load(path)
        t = r["test"]
        lines.append(f"| {what} | {r['device']}, torch {r['torch']} | "
                     f"{_pct(t['single_top1'])} | {_pct(t['single_top5'])} | "
                     f"{_pct(t['ten_crop_top1'])} | {_duration(r['wall_seconds'])} | "
                     f"`{command}` |")
    return "\n".join(lines)


def ablations_block(records: Path = RECORDS, spec: tuple = ABLATIONS) -> str:
    folder, profile, command, baseline = spec
    found = load_folder(records / folder)
    if baseline and (records / baseline).is_file() and "baseline" not in found:
        found = {"baseline": load(records / baseline), **found}
    if not found:
        return "(no recorded ablation runs)"
    devices = sorted({r["device"] for r in found.values()})
    config = found.get("baseline", next(iter(found.values())))["profile_config"]
    where = f"`data/records/{folder}/`" + (f" (baseline: `data/records/{baseline}`)"
                                           if baseline and "baseline" in found else "")
    head = (f"Profile {profile} (batch {config['batch_size']}, lr {config['lr']}, "
            f"{config['epochs']} epochs, width {config['width']}), one seed, recorded on "
            f"{', '.join(devices)} by `{command}`; the records are in {where}.")
    return head + "\n\n" + ablation_table(found)


PIPELINE_LINE = re.compile(
    r"^(library DeviceLoader|DataLoader \+ PIL transforms):\s+(\d+) images/s")


def parse_pipeline(text: str) -> dict:
    """The numbers ``benchmarks/pipeline.py`` prints: setting line, two rates, the ratio."""
    lines = text.strip().splitlines()
    rates = {m[1]: int(m[2]) for m in map(PIPELINE_LINE.match, lines) if m}
    ratio = next(float(line.split()[1]) for line in lines if line.startswith("ratio "))
    setting = next(line for line in lines if line.startswith("device "))
    return {"setting": setting.removeprefix("device "), "library": rates["library DeviceLoader"],
            "alternative": rates["DataLoader + PIL transforms"], "ratio": ratio}


def pipeline_block(records: Path = RECORDS) -> str:
    lines = ["| setting | library `DeviceLoader` | `DataLoader` + PIL transforms | ratio |",
             "| --- | --- | --- | --- |"]
    for name in PIPELINES:
        if (records / name).is_file():
            p = parse_pipeline((records / name).read_text())
            lines.append(f"| {p['setting']} | {p['library']:,} img/s | "
                         f"{p['alternative']:,} img/s | **{p['ratio']:.2f}** |")
    return "\n".join(lines)


BLOCKS = {"profiles": profiles_block, "results": results_block,
          "ablations": ablations_block, "pipeline": pipeline_block,
          "ablations_cpu": lambda: ablations_block(spec=ABLATIONS_CPU)}
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
        print("run: python -m alexnet_lib.records", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
