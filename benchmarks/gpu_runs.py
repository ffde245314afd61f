"""Every GPU measurement of the accuracy-and-speed issue, sized for one 10-minute device call.

    python benchmarks/gpu_runs.py --out runs/gpu            # a CUDA machine, CIFAR-10 in data/
    python benchmarks/gpu_runs.py --out /tmp/r --rehearse   # the same stages in a minute on CPU

(with ``alexnet_lib`` installed, ``pip install -e .``, or ``PYTHONPATH=.`` in a bare copy
of the tree: the script imports the library, and its neighbours from its own folder).

Stages, run in this order, each with its own wall-clock budget so that one slow stage
cannot starve the next; ``--stages`` picks some (the default: the full-profile ones, since
the quick-profile stages are recorded in ``data/records/gpu-h200/``):

1. ``full``: the full profile alone on the GPU (nothing else running): its test accuracy
   is goal 1, its wall time goal 2. It is also the ``baseline`` row of the full ablations.
2. ``compile``: the same run with ``recipe.compile=True``, alone: later full runs compile only
   if this one was faster, wall clock to wall clock, on the same card in the same call.
3. ``pipeline``: ``benchmarks/pipeline.py`` at full width, alone: library pipeline vs a
   DataLoader of per-image torchvision transforms, on the same card in the same run.
4. ``candidates``: a few recipes for the ``quick`` profile with the same compute (so the
   same CPU time), all at once. Validation accuracy, never the test set, picks one.
5. ``ablations-quick``: every row of ``benchmarks/ablations.py`` with that recipe, all at once.
6. ``tune-full``: ``FULL_CANDIDATES``, each alone, one after another; the best validation
   accuracy, the baseline's included, picks the full recipe (``picked-full.json``).
7. ``ablations-full``: the rows at full size with that recipe, all at once, in the time left.
8. ``scorecard-quick``: every row with each of ``--seeds``, all at once, as
   ``benchmarks/ablations.py --seeds`` lays them out (``OUT/scorecard-quick/<row>/seed<s>/``):
   the GPU cross-check of the CPU scorecard.
9. ``full-seeds``: the ``full`` baseline (the paper's dropout placement, the default model)
   with each of ``--seeds``, all at once (``OUT/full-seeds/baseline/seed<s>/``): the spread
   of the full result over seeds.

Each run is one process writing the usual ``history.json`` record (``run_training``, plus
the commit) under ``OUT/<stage>/<run>/``. A run cut off by its stage's budget leaves
``partial.json`` (the history of its finished epochs, read from its checkpoint).
Checkpoints are deleted; with ``--pack FILE`` the records are packed into one tarball after
every stage. Several processes share the GPU in stages 4, 5, 7 and 8, so only the runs made
alone time anything.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from ablations import summary
from provenance import git_commit

from alexnet_lib.book.ablations import ROWS

ROOT = Path(__file__).resolve().parent.parent

# Every override below is a dotted field of alexnet_lib.config.RunConfig.
# quick-profile candidates: the same epochs, images and width, hence the same CPU time
QUICK_CANDIDATES = {
    "quick": {},
    "lr0.04": {"recipe.lr": 0.04},
    "b128_lr0.04": {"recipe.batch_size": 128, "recipe.lr": 0.04},
    "smooth0.1": {"recipe.label_smoothing": 0.1},
    "nesterov": {"recipe.nesterov": True},
}
# full-recipe candidates against the overfitting of the first full run (85.9% test, 97.5%
# train accuracy on augmented batches): more regularization, each alone on the GPU
FULL_CANDIDATES = {
    "smooth0.1": {"recipe.label_smoothing": 0.1},
    "wd1e-3": {"recipe.weight_decay": 1e-3},
    "wd1e-3_smooth0.1_e50": {"recipe.weight_decay": 1e-3, "recipe.label_smoothing": 0.1,
                             "recipe.epochs": 50},
}


def records(folder: Path) -> dict[str, dict]:
    """``{run name: record}`` for every ``folder/<run>/history.json`` (finished runs only)."""
    return {p.parent.name: json.loads(p.read_text())
            for p in sorted(Path(folder).glob("*/history.json"))}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def one(args) -> None:
    """Child process: one recorded training run."""
    from alexnet_lib.config import get_profile
    from alexnet_lib.run import run_training

    config = get_profile(args.profile).replace(**{"seed": args.seed, "data.root": args.data,
                                                  **json.loads(args.overrides)})
    record = run_training(config, Path(args.out), download=False, device=args.device,
                          progress=False, extra={"commit": git_commit()})
    t = record["test"]
    print(f"done {args.out}: val {record['history']['val_acc'][-1]:.2%} test "
          f"{t['single_top1']:.2%} ten-crop {t['ten_crop_top1']:.2%} "
          f"{record['wall_seconds']:.0f} s", flush=True)


class Stage:
    """Processes started together and stopped together when the budget runs out."""

    def __init__(self, name: str, budget: float, common: list[str], threads: int | None = None):
        self.name, self.budget, self.common = name, budget, common
        # many processes at once: one CPU thread each, or their data work fights for cores
        self.env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if threads else None
        self.procs: dict[Path, subprocess.Popen] = {}

    def start(self, out: Path, profile: str, overrides: dict | None = None) -> None:
        """One run of ``profile`` with dotted RunConfig ``overrides``, unless recorded."""
        out.mkdir(parents=True, exist_ok=True)
        if (out / "history.json").is_file():
            return
        cmd = [sys.executable, __file__, "one", "--profile", profile, "--out", str(out),
               "--overrides", json.dumps(overrides or {}), *self.common]
        logfile = open(out / "log.txt", "w")  # noqa: SIM115 (closed with the process)
        self.procs[out] = subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT,
                                           start_new_session=True, env=self.env)

    def wait(self) -> dict[Path, float]:
        """Wait for every process or the budget; returns each finished run's seconds."""
        started, finished = time.perf_counter(), {}
        while len(finished) < len(self.procs):
            for out, p in self.procs.items():
                if out not in finished and p.poll() is not None:
                    finished[out] = time.perf_counter() - started
                    state = "ok" if p.returncode == 0 else f"FAILED rc={p.returncode}"
                    log(f"{self.name}: {out.name} {state} after {finished[out]:.0f} s")
                    if p.returncode != 0:
                        print((out / "log.txt").read_text()[-3000:], flush=True)
            if time.perf_counter() - started > self.budget:
                for out, p in self.procs.items():
                    if p.poll() is None:
                        log(f"{self.name}: {out.name} cut off at the stage budget "
                            f"({self.budget:.0f} s)")
                        os.killpg(p.pid, signal.SIGTERM)
                for p in self.procs.values():
                    try:
                        p.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(p.pid, signal.SIGKILL)
                break
            time.sleep(1)
        for out in self.procs:
            keep_records_only(out)
        return finished


def keep_records_only(out: Path) -> None:
    """Delete the checkpoint; if the run did not finish, keep its history as partial.json."""
    ckpt = out / "checkpoint.pt"
    if not ckpt.is_file():
        return
    if not (out / "history.json").is_file():
        import torch

        try:
            state = torch.load(ckpt, map_location="cpu", weights_only=True)
            (out / "partial.json").write_text(json.dumps(
                {"epoch": state["epoch"], "history": state["history"],
                 "config": state.get("config"), "model": state.get("model_config")}, indent=1))
        except Exception as err:  # a checkpoint cut mid-write is kept out by the atomic save
            (out / "partial.json").write_text(json.dumps({"error": repr(err)}))
    ckpt.unlink()


def pack(out: Path, target: Path | None) -> None:
    if target is None:
        return
    tmp = target.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.suffix in (".json", ".txt"):
                tar.add(path, arcname=str(path.relative_to(out)))
    tmp.replace(target)


STAGES = ("full", "compile", "pipeline", "candidates", "ablations-quick", "tune-full",
          "ablations-full", "scorecard-quick", "full-seeds")
# what the next device call should run: the quick stages are recorded (data/records/gpu-h200)
DEFAULT_STAGES = ("full", "compile", "pipeline", "tune-full", "ablations-full")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("one")
    for p in (parser, child):
        p.add_argument("--data", default="data")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--device", default=None)
    child.add_argument("--profile", required=True)
    child.add_argument("--out", required=True)
    child.add_argument("--overrides", default="{}", help="dotted RunConfig fields, as JSON")
    parser.add_argument("--out", type=Path, default=Path("runs/gpu"))
    parser.add_argument("--pack", type=Path, default=None, help="tarball of the records")
    parser.add_argument("--budget", type=float, default=530,
                        help="seconds for all stages together")
    parser.add_argument("--stages", default=",".join(DEFAULT_STAGES),
                        help=f"comma-separated, run in this order: {', '.join(STAGES)}")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                        help="seeds of the scorecard-quick and full-seeds stages")
    parser.add_argument("--rehearse", action="store_true",
                        help="smoke-sized runs of every stage on this machine (1 epoch each)")
    args = parser.parse_args(argv)
    if args.command == "one":
        return one(args)
    stages = [s for s in args.stages.split(",") if s]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        parser.error(f"unknown stages {unknown}: choose from {', '.join(STAGES)}")

    t0 = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    common = ["--data", args.data, "--seed", str(args.seed)]
    if args.device:
        common += ["--device", args.device]
    full, quick = ("full", "quick") if not args.rehearse else ("smoke", "smoke")
    cap = {"recipe.epochs": 1, "data.train_size": 500} if args.rehearse else {}
    full_cap = {**cap, "model.width": 0.25} if args.rehearse else {}

    def left() -> float:
        return args.budget - (time.perf_counter() - t0)

    import torch

    log(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}, "
        f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}; "
        f"stages {', '.join(s for s in STAGES if s in stages)}")
    # the recipe of the later full-profile stages: compile if it measured faster, and the
    # tuned candidate if one beat the baseline on validation
    full_recipe: dict = {}
    wall: dict[str, float] = {}

    def alone(name: str, target: Path, overrides: dict, cap_seconds: float) -> dict | None:
        """One full-profile run with the GPU to itself; its record, or None if cut off."""
        stage = Stage(name, max(10.0, min(cap_seconds, left() - 15)), common)
        stage.start(target, full, {**overrides, **full_cap})
        stage.wait()
        pack(out, args.pack)
        path = target / "history.json"
        return json.loads(path.read_text()) if path.is_file() else None

    # 1. the full profile, alone: goal 1's accuracy, goal 2's wall time, the full baseline
    if "full" in stages:
        r = alone("full", out / "ablations-full" / "baseline", {}, 220)
        if r:
            wall["plain"] = r["wall_seconds"]
            log(f"full profile alone: {r['wall_seconds']:.0f} s, "
                f"test {r['test']['single_top1']:.2%}")

    # 2. the same run through torch.compile, alone: does compiling pay for itself?
    if "compile" in stages:
        r = alone("compile", out / "speed" / "full-compiled", {"recipe.compile": True}, 220)
        if r:
            wall["compiled"] = r["wall_seconds"]
            log(f"full profile compiled: {r['wall_seconds']:.0f} s, "
                f"test {r['test']['single_top1']:.2%}")
        if "plain" in wall and "compiled" in wall and wall["compiled"] < wall["plain"]:
            full_recipe["recipe.compile"] = True
        log(f"later full-profile runs compile: {bool(full_recipe.get('recipe.compile'))} "
            f"({wall})")

    # 3. the pipeline benchmark, alone
    if "pipeline" in stages:
        bench = [sys.executable, str(ROOT / "benchmarks" / "pipeline.py"), "--data", args.data,
                 "--rounds", "3", "--workers", str(min(8, os.cpu_count() or 2)),
                 "--out", str(out / "pipeline.json")]
        bench += (["--width", "0.25", "--batch-size", "32", "--steps", "3", "--rounds", "1"]
                  if args.rehearse
                  else ["--width", "1.0", "--batch-size", "256", "--steps", "100"])
        try:
            result = subprocess.run(bench, capture_output=True, text=True, cwd=ROOT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                                    timeout=max(10, min(100, left() * 0.2)))
            text = result.stdout + result.stderr[-2000:]
        except subprocess.TimeoutExpired as err:
            text = f"pipeline benchmark cut off after {err.timeout:.0f} s\n{err.stdout or ''}"
        (out / "pipeline-log.txt").write_text(text)  # the record is pipeline.json
        print(text, flush=True)
        pack(out, args.pack)

    # 4. candidates for the quick recipe, all at once (same compute, so the same CPU time)
    picked = {}
    if "candidates" in stages:
        stage = Stage("candidates", left() * 0.35, common, threads=1)
        for name, over in QUICK_CANDIDATES.items():
            stage.start(out / "candidates-quick" / name, quick, {**over, **cap})
        stage.wait()
        pack(out, args.pack)
        found = records(out / "candidates-quick")
        best = max(found, key=lambda k: found[k]["history"]["val_acc"][-1], default="quick")
        picked = QUICK_CANDIDATES[best]
        log(f"quick recipe picked on validation accuracy: {best} {picked}")
        (out / "picked.json").write_text(json.dumps({"name": best, "overrides": picked}))

    # 5. every ablation row with the quick recipe, all at once
    if "ablations-quick" in stages:
        stage = Stage("ablations-quick", (left() - 15) * 0.6, common, threads=1)
        for row, (_, row_over) in ROWS.items():
            stage.start(out / "ablations-quick" / row, quick, {**picked, **row_over, **cap})
        stage.wait()
        pack(out, args.pack)

    # 6. candidates for the full recipe, each alone, one after another; validation
    # accuracy (never the test set) against the baseline's picks the recipe
    if "tune-full" in stages:
        for name, over in FULL_CANDIDATES.items():
            if left() < 60:
                log(f"tune-full: no time left for {name}")
                break
            alone("tune-full", out / "candidates-full" / name, {**full_recipe, **over}, 200)
        found = records(out / "candidates-full")
        base = records(out / "ablations-full").get("baseline")
        if base:
            found = {"baseline": base, **found}
        if found:
            best = max(found, key=lambda k: found[k]["history"]["val_acc"][-1])
            full_recipe.update(FULL_CANDIDATES.get(best, {}))
            log(f"full recipe picked on validation accuracy: {best} {full_recipe}")
            (out / "picked-full.json").write_text(
                json.dumps({"name": best, "overrides": full_recipe}))

    # 7. the ablation rows at full size, all at once, with the time that is left (a row cut
    # off still leaves its per-epoch history)
    if "ablations-full" in stages and left() > 60:
        stage = Stage("ablations-full", left() - 15, common, threads=1)
        for row, (_, row_over) in ROWS.items():
            if row == "baseline" and not full_recipe:
                continue  # stage 1 ran it alone
            target = out / ("ablations-full" if not full_recipe else "ablations-full-tuned")
            stage.start(target / row, full, {**full_recipe, **row_over, **full_cap})
        stage.wait()
        pack(out, args.pack)

    # 8. the scorecard at quick size: every row with every seed, all at once
    if "scorecard-quick" in stages and left() > 60:
        stage = Stage("scorecard-quick", left() - 15, common, threads=1)
        for seed in args.seeds:
            for row, (_, row_over) in ROWS.items():
                stage.start(out / "scorecard-quick" / row / f"seed{seed}", quick,
                            {**row_over, "seed": seed, **cap})
        stage.wait()
        pack(out, args.pack)

    # 9. the full baseline with every seed, all at once
    if "full-seeds" in stages and left() > 60:
        stage = Stage("full-seeds", left() - 15, common, threads=1)
        for seed in args.seeds:
            stage.start(out / "full-seeds" / "baseline" / f"seed{seed}", full,
                        {**full_recipe, "seed": seed, **full_cap})
        stage.wait()
        pack(out, args.pack)

    for group in ("candidates-quick", "candidates-full", "ablations-quick", "ablations-full",
                  "ablations-full-tuned"):
        if (out / group).is_dir():
            print(f"\n{group}:\n{summary(records(out / group))}")
    log(f"all stages: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
