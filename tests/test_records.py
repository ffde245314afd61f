"""The README's and the book's result tables are made from the records, never typed
(``tools/records.py``), and the scorecard's statistics are right (``tools/ablation_tables.py``)."""

import json
import math

import ablation_tables
import pytest
import records

from alexnet_lib.book import scorecard
from alexnet_lib.config import PROFILES


def old_record(top1, device="cpu (2 threads)", row_train_acc=0.9, profile="quick", **model):
    """A record in the format written before RunConfig (profile, profile_config, model)."""
    return {"profile": profile, "seed": 0, "device": device, "torch": "2.0",
            "wall_seconds": 61.2, "train_seconds": 50.0,
            "profile_config": {"name": profile, "batch_size": 128, "lr": 0.04, "epochs": 2,
                               "width": 0.25, "dropout": 0.5, "train_size": None,
                               "val_size": 5000, "test_size": None, "lighting": 0.1},
            "model": {"name": "AlexNetCIFAR", "lrn": True, "width": 0.25, "dropout": 0.5,
                      **model},
            "history": {"epoch": [1, 2], "train_acc": [0.5, row_train_acc],
                        "val_acc": [0.4, 0.6]},
            "test": {"single_top1": top1, "single_top5": 0.9, "ten_crop_top1": top1 + 0.01,
                     "ten_crop_top5": 0.91}}


def new_record(top1, seed=0, train_top1=None, train_acc=(0.5, 0.9), ten=None,
               profile="quick", command=None):
    """A record as ``alexnet_lib.run.run_training`` writes it."""
    config = PROFILES[profile].replace(seed=seed).to_dict()
    r = {"name": profile, "config": config, "device": "cpu (2 threads)", "torch": "2.0",
         "wall_seconds": 90.0, "train_seconds": 80.0,
         "history": {"epoch": list(range(1, len(train_acc) + 1)), "train_acc": list(train_acc),
                     "val_acc": [0.5] * len(train_acc)},
         "test": {"single_top1": top1, "single_top5": 0.95,
                  "ten_crop_top1": top1 + 0.01 if ten is None else ten, "ten_crop_top5": 0.96,
                  "train_top1": top1 + 0.05 if train_top1 is None else train_top1}}
    if command:
        r["command"] = command
    return r


def write(path, record):
    path.mkdir(parents=True)
    (path / "history.json").write_text(json.dumps(record))


PIPELINE = {"benchmark": "pipeline", "device": "NVIDIA H200", "torch": "2.11.0+cu130",
            "width": 1.0, "batch_size": 256, "steps": 100, "workers": 8,
            "images_per_second": {"library": 27771.4, "alternative": 25881.0},
            "rounds": {"library": [27771.4], "alternative": [25881.0]}, "ratio": 1.0730}


def test_normalize_reads_the_old_format_without_inventing_fields():
    r = records.normalize(old_record(0.7, lrn=False, dropout=0.0))
    config = r["config"]
    assert r["name"] == config["name"] == "quick" and config["seed"] == 0
    # the model is what trained: its dropout wins over the profile's 0.5
    assert config["model"] == {"arch": "AlexNetCIFAR", "lrn": "none", "width": 0.25,
                               "dropout": 0.0}
    assert config["recipe"] == {"batch_size": 128, "lr": 0.04, "epochs": 2}
    assert config["data"]["lighting"] == 0.1 and "crop_padding" not in config["data"]
    assert "profile_config" not in r and "train_top1" not in r["test"]
    new = new_record(0.7)
    assert records.normalize(new) is new


def test_tables_come_from_the_records(tmp_path):
    write(tmp_path / "smoke-cpu", old_record(0.283, profile="smoke"))
    folder = tmp_path / records.ABLATIONS[0]
    write(folder / "baseline", old_record(0.70))
    write(folder / "no_lrn", old_record(0.65, lrn=False))
    (tmp_path / "gpu-h200" / "pipeline.json").write_text(json.dumps(PIPELINE))
    results = records.results_block(tmp_path)
    row = ("| `smoke` profile | cpu (2 threads), torch 2.0 | 28.3% | 90.0% | 29.3% | 61 s | "
           "`python -m alexnet_lib train --profile smoke` |")
    assert row in results
    assert "quick" not in results  # no record, no row
    ablations = records.ablations_block(tmp_path)
    assert "| no_lrn |" in ablations and "| -5.00% |" in ablations
    assert "batch 128, lr 0.04, 2 epochs, width 0.25" in ablations
    pipeline = records.pipeline_block(tmp_path)
    assert ("| NVIDIA H200, torch 2.11.0+cu130, width 1.0, batch 256, 100 timed steps | "
            "27,771 img/s | 25,881 img/s | **1.07** |") in pipeline


def test_a_record_names_its_own_command(tmp_path):
    command = "python benchmarks/train_record.py --profile quick --out data/records/quick-cpu"
    write(tmp_path / "quick-cpu", new_record(0.78, command=command))
    assert f"| 78.0% | 95.0% | 79.0% | 90 s | `{command}` |" in records.results_block(tmp_path)


def test_gap_is_eval_mode_train_minus_test_and_na_for_old_records(tmp_path):
    spec = records.ABLATIONS_CPU
    write(tmp_path / spec[0] / "baseline", old_record(0.78, row_train_acc=0.99))
    write(tmp_path / spec[0] / "tanh", new_record(0.70, train_top1=0.73))
    table = records.ablations_block(tmp_path, spec)
    baseline = next(line for line in table.splitlines() if line.startswith("| baseline |"))
    tanh = next(line for line in table.splitlines() if line.startswith("| tanh |"))
    # never the old train-mode number on augmented batches (99% - 78%)
    assert "| n/a |" in baseline and "+21.00%" not in baseline
    assert "| +3.00% |" in tanh
    assert "eval-mode accuracy on the un-augmented training images" in table
    assert "n/a where a record predates that measurement" in table


def test_cpu_ablation_table_takes_its_baseline_from_its_own_folder(tmp_path):
    # the one-seed CPU rows keep the baseline run of their own code: the quick record was
    # re-made with newer code (bf16, 18 epochs) and is no baseline for them
    spec = records.ABLATIONS_CPU
    write(tmp_path / "quick-cpu", new_record(0.80, train_top1=0.85))
    write(tmp_path / spec[0] / "baseline", old_record(0.78))
    assert records.ablations_block(tmp_path, spec).count("| baseline |") == 1
    write(tmp_path / spec[0] / "tanh", old_record(0.70, activation="tanh"))
    table = records.ablations_block(tmp_path, spec)
    assert "| tanh |" in table and "| -8.00% |" in table and "80.00%" not in table


def test_profile_table_times_come_from_the_recorded_runs(tmp_path):
    write(tmp_path / "smoke-cpu", new_record(0.3, profile="smoke"))
    quick = new_record(0.78)
    quick["config"]["recipe"]["epochs"] = 3  # recorded with other settings than today's
    write(tmp_path / "quick-cpu", quick)
    lines = records.profiles_block(tmp_path).splitlines()
    assert lines[2].startswith("| `smoke` |") and lines[2].endswith("| 90 s on cpu (2 threads) |")
    assert lines[3].endswith("| not recorded with these settings |")
    assert lines[4].startswith("| `full` |") and lines[4].endswith("| not recorded |")


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for dof, q in scorecard.T975.items():
        assert q == pytest.approx(stats.t.ppf(0.975, dof), abs=1e-3)
    assert scorecard.t975(2) == pytest.approx(4.303, abs=1e-3)


def test_epochs_to_train_error():
    history = {"epoch": [1, 2, 3], "train_acc": [0.5, 0.74, 0.8]}
    assert scorecard.epochs_to(history, 0.25) == 3
    assert scorecard.epochs_to(history, 0.1) is None


def synthetic_scorecard():
    """Three seeds: no_lrn is 2 points lower in every pair; no_overlap is +-1 around 0."""
    base = [0.780, 0.770, 0.790]
    return {
        "baseline": {s: new_record(b, seed=s, train_acc=(0.6, 0.8)) for s, b in enumerate(base)},
        "no_lrn": {s: new_record(b - 0.02 + 0.001 * s, seed=s, train_acc=(0.6, 0.7))
                   for s, b in enumerate(base)},
        "no_overlap": {s: new_record(b + d, seed=s, train_acc=(0.6, 0.7))
                       for s, (b, d) in enumerate(zip(base, (0.01, -0.01, 0.002), strict=True))},
    }


def test_paired_difference_and_its_interval():
    runs = synthetic_scorecard()
    d = scorecard.paired_difference(runs["no_lrn"], runs["baseline"])
    diffs = [-0.020, -0.019, -0.018]
    half = 4.303 * 0.001 / math.sqrt(3)  # t(0.975, 2 dof) * sd / sqrt(n)
    assert d["n"] == 3 and d["mean"] == pytest.approx(-0.019)
    assert d["low"] == pytest.approx(sum(diffs) / 3 - half, abs=1e-5)
    assert d["high"] == pytest.approx(sum(diffs) / 3 + half, abs=1e-5)
    assert scorecard.verdict(d) == "lower than baseline"
    noisy = scorecard.paired_difference(runs["no_overlap"], runs["baseline"])
    assert scorecard.verdict(noisy) == scorecard.UNRESOLVED
    # only the seeds both rows have are paired
    one = scorecard.paired_difference({0: runs["no_lrn"][0]}, runs["baseline"])
    assert one["n"] == 1 and one["low"] is None
    assert scorecard.verdict(one) == "one paired seed: no interval"


def test_scorecard_table():
    table = ablation_tables.scorecard(synthetic_scorecard())
    lines = {line.split(" | ")[0]: line for line in table.splitlines()[2:]}
    assert list(lines) == ["| baseline", "| no_lrn", "| no_overlap"]  # the order of ROWS
    assert "| 0, 1, 2 | 78.00 ± 1.00 | 79.00 ± 1.00 |  |  |" in lines["| baseline"]
    assert "| -1.90 (-2.15 to -1.65; n = 3) | lower than baseline |" in lines["| no_lrn"]
    assert "| not resolved at this scale |" in lines["| no_overlap"]
    assert "| 2.0 | +5.00 points |" in lines["| baseline"]  # epochs to 25%, eval-mode gap
    assert "| not in 2 |" in lines["| no_lrn"]


def test_gap_table():
    runs = synthetic_scorecard()
    # no_dropout: the gap 3 points wider in every pair (train top-1 up, test the same)
    runs["no_dropout"] = {s: new_record(r["test"]["single_top1"], seed=s,
                                        train_top1=r["test"]["train_top1"] + 0.03)
                          for s, r in runs["baseline"].items()}
    for s, r in runs["no_dropout"].items():
        r["history"]["val_acc"] = [0.5, 0.5 + 0.01 * s]  # up 0, 1 and 2 points in the end
    table = ablation_tables.gap_table(runs, last=1)
    lines = {line.split(" | ")[0]: line for line in table.splitlines()[2:]}
    assert list(lines) == ["| baseline", "| no_lrn", "| no_overlap", "| no_dropout"]
    # baseline: train top-1 = test + 5 points, so the gap is +5.00; its val curve is flat
    assert lines["| baseline"] == "| baseline | 0, 1, 2 | 83.00 | +5.00 |  |  |  | +0.00 |"
    assert "| +8.00 | +3.00 (+3.00 to +3.00; n = 3) | higher than baseline |" in lines[
        "| no_dropout"]
    assert lines["| no_dropout"].endswith("| higher than baseline | +1.00 |")  # in Holm's family
    assert lines["| no_lrn"].endswith("| not resolved at this scale |  | +0.00 |")  # not in it


def test_late_change():
    seeds = {0: {"history": {"val_acc": [0.1, 0.5, 0.6, 0.62]}},
             1: {"history": {"val_acc": [0.1, 0.4, 0.5, 0.56]}}}
    assert scorecard.late_change(seeds, 2) == pytest.approx(((0.62 - 0.5) + (0.56 - 0.4)) / 2)
    assert scorecard.late_change(seeds, 4) is None  # no run is that long


def test_each_regime_has_its_folder_and_command(tmp_path):
    from alexnet_lib.book import evidence
    from alexnet_lib.book.ablations import REGIMES
    from alexnet_lib.errors import UserError

    assert set(scorecard.REGIME_FOLDERS) == set(REGIMES) == set(evidence.SWEEP_COMMANDS)
    assert scorecard.find_scorecard(tmp_path, "overfit") == tmp_path / "quick-cpu" / "overfit"
    assert scorecard.find_scorecard(tmp_path) == tmp_path / "quick-cpu" / "scorecard"
    with pytest.raises(UserError, match="unknown regime"):
        scorecard.find_scorecard(tmp_path, "tiny")
    command = evidence.SWEEP_COMMANDS["overfit"]
    assert "--regime overfit" in command and command.endswith("quick-cpu/overfit")
    text = evidence.report({}, ["no_dropout"], regime="overfit")
    assert command in text


def test_scorecard_block_reads_seed_folders(tmp_path):
    spec = records.SCORECARD_CPU
    assert "no scorecard records yet" in records.scorecard_block(tmp_path, spec)
    for row, seeds in synthetic_scorecard().items():
        for seed, record in seeds.items():
            write(tmp_path / spec[0] / row / f"seed{seed}", record)
    (tmp_path / spec[0] / "no_lrn" / "seed9").mkdir()  # an unfinished run: no record yet
    block = records.scorecard_block(tmp_path, spec)
    assert "`data/records/quick-cpu/scorecard/<row>/seed<s>/`" in block
    assert "95% confidence interval" in block and "| no_lrn |" in block
    assert records.load_seeds(tmp_path / spec[0])["no_lrn"].keys() == {0, 1, 2}


def test_render_rewrites_only_the_blocks():
    text = "intro\n<!-- generated: profiles -->\nstale\n<!-- end: profiles -->\noutro\n"
    out = records.render(text)
    assert out.startswith("intro\n<!-- generated: profiles -->\n| profile |")
    assert "stale" not in out and out.endswith("<!-- end: profiles -->\noutro\n")
    assert records.render(out) == out
    with pytest.raises(ValueError, match="unknown generated block 'nope'"):
        records.render("<!-- generated: nope -->\nx\n<!-- end: nope -->")


def test_readme_and_book_are_up_to_date():
    """Fails after a new record or a profile change until `python tools/records.py`."""
    assert records.main(["--check"]) == 0
    for path in records.TARGETS[:2]:  # the README and the intro: results and scorecard
        assert "<!-- generated: results -->" in path.read_text(), path
        assert "<!-- generated: scorecard_cpu -->" in path.read_text(), path
    # the first, one-seed sweeps live on beside their records
    assert "<!-- generated: ablations_cpu -->" in records.TARGETS[2].read_text()


def test_cpu_speed_table_comes_from_its_record(tmp_path):
    row = {"levers": {}, "rounds_ms": [1.0], "mean_loss_per_round": [2.3]}
    record = {
        "machine": {"cpu": "CPU X", "cores": 2}, "torch": "2.0", "command": "python b.py",
        "commit": "abcdef0123", "speedup": 2.25,
        "settings": {"model": "AlexNetCIFAR(width=0.25)", "batch_size": 128, "rounds": 5,
                     "steps": 10},
        "rows": [{**row, "name": "today", "median_ms_per_step": 200.0, "speedup_vs_today": 1.0},
                 {**row, "name": "compile", "error": "RuntimeError: no compiler"},
                 {**row, "name": "default", "median_ms_per_step": 88.9,
                  "speedup_vs_today": 2.25}],
    }
    (tmp_path / "cpu-speed.json").write_text(json.dumps(record))
    text = records.cpu_speed_block(tmp_path)
    assert "| today | 200.0 | x1.00 |" in text and "| default | 88.9 | x2.25 |" in text
    assert "failed: RuntimeError: no compiler" in text and "speedup **2.25**" in text
    assert "`abcdef0`" in text


def test_figure1_block(tmp_path):
    assert "no records yet" in records.figure1_block(tmp_path)
    for name, errors in (("relu", [0.5, 0.2]), ("tanh", [0.5, 0.4, 0.3, 0.2])):
        for seed in (0, 1):
            path = tmp_path / "quick-cpu" / "figure1" / name / "lr0.1" / f"seed{seed}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "nonlinearity": name, "lr": 0.1, "seed": seed, "finished": True,
                "diverged": False, "select_epochs": 1,
                "history": {"epoch": [0.5 * (i + 1) for i in range(len(errors))],
                            "train_error": errors, "seconds": [1.0] * len(errors),
                            "val_error": [0.4], "val_epoch": [1]}}))
    block = records.figure1_block(tmp_path)
    assert "| relu | 0.1 | 1 | yes |" in block
    assert block.endswith("Verdict: held in direction: tanh needs 2.0x the epochs of ReLU to "
                          "reach 25% training error (95% interval 2.0 to 2.0, 2 seeds); ReLU "
                          "is faster, but by less than the paper's 6x, which lies above the "
                          "interval.")


def test_overfit_block_reads_its_own_folder_and_family(tmp_path):
    spec = records.SCORECARD_OVERFIT
    assert "--regime overfit" in spec[2]
    assert "no records yet" in records.overfit_block(tmp_path, spec)
    for row, seeds in synthetic_scorecard().items():
        for seed, record in seeds.items():
            record["config"]["data"]["train_size"] = 10_000
            write(tmp_path / spec[0] / row / f"seed{seed}", record)
    block = records.overfit_block(tmp_path, spec)
    assert "10,000 training images" in block and "`data/records/quick-cpu/overfit/" in block
    # this regime's family: the top-1 of no_lrn and no_overlap (no gap rows here)
    assert "own family of 2 comparisons" in block
    assert "| no_lrn |" in block and "validation top-1, change over the last" in block
