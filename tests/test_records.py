"""The README's and the book's result tables are made from the records, never typed."""

import json

import pytest

from alexnet_lib import records

PIPELINE_OUTPUT = """\
device NVIDIA H200, torch 2.11.0+cu130, width 1.0, batch 256, 100 timed steps
library DeviceLoader:             27771 images/s  (rounds: 27782, 27771, 27771)
DataLoader + PIL transforms:      25881 images/s  (rounds: 26497, 25881, 25026; 8 workers)
ratio 1.07
"""


def fake_record(top1, device="cpu (2 threads)", row_train_acc=0.9):
    return {"device": device, "torch": "2.0", "wall_seconds": 61.2, "train_seconds": 50.0,
            "profile_config": {"batch_size": 128, "lr": 0.04, "epochs": 2, "width": 0.25},
            "history": {"epoch": [1, 2], "train_acc": [0.5, row_train_acc]},
            "test": {"single_top1": top1, "single_top5": 0.9, "ten_crop_top1": top1 + 0.01,
                     "ten_crop_top5": 0.91}}


def write(path, record):
    path.mkdir(parents=True)
    (path / "history.json").write_text(json.dumps(record))


def test_parse_pipeline():
    assert records.parse_pipeline(PIPELINE_OUTPUT) == {
        "setting": "NVIDIA H200, torch 2.11.0+cu130, width 1.0, batch 256, 100 timed steps",
        "library": 27771, "alternative": 25881, "ratio": 1.07}


def test_tables_come_from_the_records(tmp_path):
    write(tmp_path / "smoke-cpu", fake_record(0.283))
    folder = tmp_path / records.ABLATIONS[0]
    write(folder / "baseline", fake_record(0.70))
    write(folder / "no_lrn", fake_record(0.65))
    (tmp_path / "pipeline-cpu.txt").write_text(PIPELINE_OUTPUT)
    results = records.results_block(tmp_path)
    row = "| `smoke` profile | cpu (2 threads), torch 2.0 | 28.3% | 90.0% | 29.3% | 61 s |"
    assert row in results
    assert "quick" not in results  # no record, no row
    ablations = records.ablations_block(tmp_path)
    assert "| no_lrn |" in ablations and "| -5.00% |" in ablations
    assert "batch 128, lr 0.04, 2 epochs" in ablations
    assert "| **1.07** |" in records.pipeline_block(tmp_path)


def test_cpu_ablation_table_takes_its_baseline_from_the_quick_record(tmp_path):
    spec = records.ABLATIONS_CPU
    write(tmp_path / "quick-cpu", fake_record(0.78))
    assert records.ablations_block(tmp_path, spec).count("| baseline |") == 1
    write(tmp_path / spec[0] / "tanh", fake_record(0.70))
    table = records.ablations_block(tmp_path, spec)
    assert "| tanh |" in table and "| -8.00% |" in table
    assert "(baseline: `data/records/quick-cpu/history.json`)" in table


def test_render_rewrites_only_the_blocks():
    text = "intro\n<!-- generated: profiles -->\nstale\n<!-- end: profiles -->\noutro\n"
    out = records.render(text)
    assert out.startswith("intro\n<!-- generated: profiles -->\n| profile |")
    assert "stale" not in out and out.endswith("<!-- end: profiles -->\noutro\n")
    assert records.render(out) == out
    with pytest.raises(ValueError, match="unknown generated block 'nope'"):
        records.render("<!-- generated: nope -->\nx\n<!-- end: nope -->")


def test_readme_and_book_are_up_to_date():
    """Fails after a new record or a profile change until `python -m alexnet_lib.records`."""
    assert records.main(["--check"]) == 0
    for path in records.TARGETS:
        assert "<!-- generated: results -->" in path.read_text(), path
