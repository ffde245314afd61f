"""benchmarks/cpu_speed.py runs end to end with tiny settings (its numbers are not tested)."""

import json

import cpu_speed
import pytest


@pytest.mark.slow
def test_cpu_speed_writes_a_record_and_ends_with_the_speedup(tmp_path, capsys):
    out = tmp_path / "records" / "cpu-speed.json"
    argv = ["--width", "0.125", "--batch-size", "8", "--steps", "1", "--rounds", "2",
            "--warmup", "1", "--batches", "2", "--no-compile", "--threads", "1",
            "--out", str(out)]
    record = cpu_speed.main(argv)
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    rows = {row["name"]: row for row in record["rows"]}
    today, default = rows["today: fp32, autograd LRN"], rows["default"]
    assert today["levers"] == {"precision": "fp32", "lrn_backward": "autograd",
                               "memory_format": "contiguous", "compile": False,
                               "threads": today["levers"]["threads"]}
    assert today["speedup_vs_today"] == 1.0
    assert default["levers"]["lrn_backward"] == "closed form"
    assert default["levers"]["precision"] == record["default"]["precision"]
    assert rows["default, 1 threads"]["levers"]["threads"] == 1
    for row in record["rows"]:
        assert row["error"] is None and len(row["rounds_ms"]) == 2
        assert row["median_ms_per_step"] > 0 and len(row["mean_loss_per_round"]) == 2
    # every variant starts from the same weights and sees the same batches: the first
    # round's losses agree to the precision each variant computes in
    fp32_rows = [r for r in record["rows"] if r["levers"]["precision"] == "fp32"]
    first = [r["mean_loss_per_round"][0] for r in fp32_rows]
    assert max(first) - min(first) < 1e-3
    assert record["speedup"] == pytest.approx(
        today["median_ms_per_step"] / default["median_ms_per_step"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"speedup {record['speedup']:.2f}"


@pytest.mark.slow
def test_a_failing_lever_is_a_row_with_its_error(tmp_path, monkeypatch):
    def broken(model, **kwargs):
        raise RuntimeError("inductor is not here")

    monkeypatch.setattr(cpu_speed.torch, "compile", broken)
    record = cpu_speed.main(["--width", "0.125", "--batch-size", "4", "--steps", "1",
                             "--rounds", "1", "--warmup", "1", "--batches", "1"])
    rows = {row["name"]: row for row in record["rows"]}
    failed = [r for r in record["rows"] if r["levers"]["compile"]]
    assert len(failed) == 1 and "inductor is not here" in failed[0]["error"]
    assert failed[0]["median_ms_per_step"] is None
    assert rows["default"]["error"] is None and record["speedup"] > 0
