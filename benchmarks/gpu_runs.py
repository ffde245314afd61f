"""Every GPU measurement of the accuracy-and-speed issue, sized for one 10-minute device call.

    python benchmarks/gpu_runs.py --out runs/gpu            # a CUDA machine, CIFAR-10 in data/
    python benchmarks/gpu_runs.py --out /tmp/r --rehearse   # the same stages in a minute on CPU

Stages, each with its own wall-clock budget so that one slow stage cannot starve the next:

1. ``full``: the full profile alone on the GPU (nothing else running): its test accuracy
   is goal 1, its wall time goal 2. It is also the ``baseline`` row of the full ablations.
2. ``pipeline``: ``benchmarks/pipeline.py`` at full width, alone: library pipeline vs a
   DataLoader of per-image torchvision transforms, on the same card in the same run.
3. ``candidates``, all at once: a few recipes for the ``quick`` profile with the same
   compute (so the same CPU time), and one longer recipe for ``full``. Validation
   accuracy, never the test set, picks the quick recipe.
4. ``ablations``: every row of ``benchmarks/ablations.py`` for the picked quick recipe,
   all at once; then the ``full`` rows with the time that is left.

Each run is one process writing the usual ``history.json`` record (``run_training``) under
``OUT/<stage>/<run>/``. A run cut off by its stage's budget leaves ``partial.json`` (the
history of its finished epochs, read from its checkpoint). Checkpoints are deleted; with
``--pack FILE`` the records are packed into one tarball after every stage. Several
processes share the GPU in stages 3 and 4, so only stages 1 and 2 time anything.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from alexnet_lib.ablations import ROWS, table  # noqa: E402
from alexnet_lib.records import load_folder as records  # noqa: E402

# quick-profile candidates: the same epochs, images and width, hence the same CPU time
QUICK_CANDIDATES = {
    "quick": {},
    "lr0.04": {"lr": 0.04},
    "b128_lr0.04": {"batch_size": 128, "lr": 0.04},
    "smooth0.1": {"label_smoothing": 0.1},
    "nesterov": {"nesterov": True},
}
FULL_CANDIDATES = {"epochs60_smooth0.1": {"epochs": 60, "label_smoothing": 0.1}}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def one(args) -> None:
    """Child process: one recorded training run."""
    from alexnet_lib.__main__ import run_training

    record = run_training(args.profile, Path(args.out), args.data, args.seed,
                          download=False, device=args.device, progress=False,
                          model_overrides=json.loads(args.model),
                          profile_overrides=json.loads(args.overrides))
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

    def start(self, out: Path, profile: str, overrides: dict | None = None,
              model: dict | None = None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        if (out / "history.json").is_file():
            return
        cmd = [sys.executable, __file__, "one", "--profile", profile, "--out", str(out),
               "--overrides", json.dumps(overrides or {}), "--model", json.dumps(model or {}),
               *self.common]
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
                 "config": state["config"], "model": state["model_config"]}, indent=1))
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
    child.add_argument("--overrides", default="{}")
    child.add_argument("--model", default="{}")
    parser.add_argument("--out", type=Path, default=Path("runs/gpu"))
    parser.add_argument("--pack", type=Path, default=None, help="tarball of the records")
    parser.add_argument("--budget", type=float, default=530,
                        help="seconds for all stages together")
    parser.add_argument("--rehearse", action="store_true",
                        help="smoke-sized runs of every stage on this machine (1 epoch each)")
    args = parser.parse_args(argv)
    if args.command == "one":
        return one(args)

    t0 = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    common = ["--data", args.data, "--seed", str(args.seed)]
    if args.device:
        common += ["--device", args.device]
    full, quick = ("full", "quick") if not args.rehearse else ("smoke", "smoke")
    cap = {"epochs": 1, "train_size": 500} if args.rehearse else {}
    full_cap = {**cap, "width": 0.25} if args.rehearse else {}

    def left() -> float:
        return args.budget - (time.perf_counter() - t0)

    import torch

    log(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}, "
        f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}")

    # 1. the full profile, alone
    stage = Stage("full", min(220, left() * 0.4), common)
    stage.start(out / "ablations-full" / "baseline", full, full_cap)
    seconds = stage.wait()
    log(f"full profile alone: {list(seconds.values())} s")
    pack(out, args.pack)

    # 2. the pipeline benchmark, alone
    bench = [sys.executable, str(ROOT / "benchmarks" / "pipeline.py"), "--data", args.data,
             "--rounds", "3", "--workers", str(min(8, os.cpu_count() or 2))]
    bench += (["--width", "0.25", "--batch-size", "32", "--steps", "3", "--rounds", "1"]
              if args.rehearse else ["--width", "1.0", "--batch-size", "256", "--steps", "100"])
    try:
        result = subprocess.run(bench, capture_output=True, text=True, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                timeout=max(10, min(100, left() * 0.2)))
        text = result.stdout + result.stderr[-2000:]
    except subprocess.TimeoutExpired as err:
        text = f"pipeline benchmark cut off after {err.timeout:.0f} s\n{err.stdout or ''}"
    (out / "pipeline.txt").write_text(text)
    print(text, flush=True)
    pack(out, args.pack)

    # 3. candidates for the quick recipe (and one for full), all at once
    stage = Stage("candidates", left() * 0.35, common, threads=1)
    for name, over in QUICK_CANDIDATES.items():
        stage.start(out / "candidates-quick" / name, quick, {**over, **cap})
    for name, over in FULL_CANDIDATES.items():
        stage.start(out / "candidates-full" / name, full, {**over, **full_cap})
    stage.wait()
    pack(out, args.pack)
    found = records(out / "candidates-quick")
    best = max(found, key=lambda k: found[k]["history"]["val_acc"][-1], default="quick")
    picked = QUICK_CANDIDATES[best]
    log(f"quick recipe picked on validation accuracy: {best} {picked}")
    (out / "picked.json").write_text(json.dumps({"name": best, "overrides": picked}))

    # 4. every ablation row for the picked quick recipe, all at once; then, with what time
    # is left, the full rows (a row cut off still leaves its per-epoch history)
    stage = Stage("ablations-quick", (left() - 15) * 0.6, common, threads=1)
    for row, (_, model_over, profile_over) in ROWS.items():
        if row == "baseline" and best in found:  # the picked candidate is the baseline
            target = out / "ablations-quick" / "baseline"
            target.mkdir(parents=True, exist_ok=True)
            (target / "history.json").write_text(json.dumps(found[best], indent=2))
            continue
        stage.start(out / "ablations-quick" / row, quick, {**picked, **profile_over, **cap},
                    model_over)
    stage.wait()
    pack(out, args.pack)
    stage = Stage("ablations-full", left() - 15, common, threads=1)
    for row, (_, model_over, profile_over) in ROWS.items():
        if row != "baseline":
            stage.start(out / "ablations-full" / row, full, {**profile_over, **full_cap},
                        model_over)
    stage.wait()
    pack(out, args.pack)

    for group in ("candidates-quick", "candidates-full"):
        print(f"\n{group}:")
        for name, r in records(out / group).items():
            print(f"  {name}: val {r['history']['val_acc'][-1]:.2%} "
                  f"test {r['test']['single_top1']:.2%} ten-crop {r['test']['ten_crop_top1']:.2%}")
    for group in ("ablations-quick", "ablations-full"):
        print(f"\n{group}:\n{table(records(out / group))}")
    log(f"all stages: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
