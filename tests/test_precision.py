"""The mixed-precision choice, each branch forced on the CPU (fake probes, fake CUDA cards)."""

import contextlib

import pytest
import torch

from alexnet_lib import precision as P

REAL_CPU_FLAGS = P.cpu_flags


@pytest.fixture
def cpu_probes(monkeypatch):
    """Set what torch's CPU probes say; None removes a probe (an older or other torch)."""

    def set_probes(amx=False, avx512_bf16=False, flags=""):
        for name, value in (("_is_amx_tile_supported", amx),
                            ("_is_avx512_bf16_supported", avx512_bf16)):
            if value is None:
                monkeypatch.delattr(torch.cpu, name, raising=False)
            else:
                monkeypatch.setattr(torch.cpu, name, lambda v=value: v, raising=False)
        monkeypatch.setattr(P, "cpu_flags", lambda: set(flags.split()))

    return set_probes


@pytest.mark.parametrize(("amx", "avx", "name", "reason"), [
    (True, False, "bf16", "AMX"),
    (False, True, "bf16", "AVX-512 BF16"),
    (False, False, "fp32", "no AVX-512 BF16 or AMX"),
])
def test_cpu_bf16_only_with_native_support(cpu_probes, amx, avx, name, reason):
    cpu_probes(amx=amx, avx512_bf16=avx, flags="avx512_bf16 amx_bf16")  # torch's probes win
    chosen = P.choose_precision("cpu")
    assert (chosen.name, chosen.reason) == (name, reason)
    assert chosen.dtype == (torch.bfloat16 if name == "bf16" else None)
    assert not chosen.needs_scaler


@pytest.mark.parametrize(("flags", "name"), [
    ("fpu avx512f avx512_bf16", "bf16"), ("fpu amx_bf16 amx_tile", "bf16"),
    ("fpu avx2 avx512f", "fp32"), ("", "fp32"),
])
def test_cpu_falls_back_to_proc_cpuinfo_flags(cpu_probes, flags, name):
    cpu_probes(amx=None, avx512_bf16=None, flags=flags)
    assert P.choose_precision("cpu").name == name


def test_a_failing_probe_falls_back_to_the_flags(cpu_probes, monkeypatch):
    cpu_probes(amx=None, avx512_bf16=None, flags="avx512_bf16")

    def broken():
        raise RuntimeError("no cpuinfo")

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", broken, raising=False)
    assert P.choose_precision("cpu").name == "bf16"


CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9B14
flags\t\t: fpu vme avx2 avx512f avx512_bf16
bogomips\t: 5200.00

processor\t: 1
flags\t\t: fpu vme avx2 avx512f avx512_bf16
"""


def test_cpu_flags_are_read_from_the_flags_line(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO)
    monkeypatch.setattr(P, "Path", lambda _path: cpuinfo)
    assert P.cpu_flags() == {"fpu", "vme", "avx2", "avx512f", "avx512_bf16"}
    cpuinfo.write_text("processor\t: 0\nmodel name\t: some ARM core\n")  # no flags line
    assert P.cpu_flags() == set()
    monkeypatch.setattr(P, "Path", lambda _path: tmp_path / "missing")  # not Linux
    assert P.cpu_flags() == set()


def test_the_flags_decide_when_torch_has_no_probes(cpu_probes, monkeypatch, tmp_path):
    cpu_probes(amx=None, avx512_bf16=None)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO)
    monkeypatch.setattr(P, "Path", lambda _path: cpuinfo)
    monkeypatch.setattr(P, "cpu_flags", REAL_CPU_FLAGS)  # the fixture faked it
    assert P.cpu_has_native_bf16() == (True, "AVX-512 BF16")
    cpuinfo.write_text(CPUINFO.replace(" avx512_bf16", ""))
    assert P.cpu_has_native_bf16() == (False, "no AVX-512 BF16 or AMX")


def test_default_profile_follows_the_environment_then_the_hardware(monkeypatch):
    monkeypatch.setenv("ALEXNET_PROFILE", "smoke")
    assert P.default_profile_name() == "smoke"
    monkeypatch.setenv("ALEXNET_PROFILE", "  ")  # blank: as if unset
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert P.default_profile_name() == "quick"
    assert P.default_device() == torch.device("cpu")
    monkeypatch.delenv("ALEXNET_PROFILE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert P.default_profile_name() == "full"
    assert P.default_device() == torch.device("cuda")


def test_device_name_for_records_and_banners(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    assert P.device_name("cpu") == "cpu (3 threads)"
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: f"Card {device}")
    assert P.device_name(torch.device("cuda", 1)) == "Card cuda:1"


@pytest.mark.parametrize(("capability", "name", "scaler"), [
    ((7, 5), "fp16", True),   # T4 (free Colab): no bf16 tensor cores
    ((7, 0), "fp16", True),   # V100
    ((8, 0), "bf16", False),  # A100
    ((9, 0), "bf16", False),  # H100 / H200
])
def test_cuda_by_compute_capability(monkeypatch, capability, name, scaler):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    # emulation makes this True on a T4: the choice must not follow it
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    chosen = P.choose_precision(torch.device("cuda", 0))
    assert (chosen.name, chosen.needs_scaler) == (name, scaler)
    assert f"{capability[0]}.{capability[1]}" in P.describe(chosen)


def test_requested_precision_wins(cpu_probes):
    cpu_probes(avx512_bf16=True)
    assert P.choose_precision("cpu", "fp32").name == "fp32"
    assert P.choose_precision("cpu", "bf16").name == "bf16"
    assert P.choose_precision("cuda", "fp16").needs_scaler
    assert P.choose_precision("cpu", "fp32").reason == "requested"
    with pytest.raises(ValueError, match="fp16"):
        P.choose_precision("cpu", "fp16")
    with pytest.raises(ValueError, match="auto"):
        P.choose_precision("cpu", "int8")


def test_other_devices_get_fp32():
    assert P.choose_precision("meta").name == "fp32"


def test_autocast_contexts_on_cpu():
    assert isinstance(P.FP32.autocast("cpu"), contextlib.nullcontext)
    lin = torch.nn.Linear(4, 4)
    with P.BF16.autocast("cpu"):
        assert lin(torch.randn(2, 4)).dtype == torch.bfloat16
    with P.FP32.autocast(torch.device("cpu")):
        assert lin(torch.randn(2, 4)).dtype == torch.float32


def test_grad_scaler_only_for_fp16():
    assert P.BF16.grad_scaler("cpu") is None and P.FP32.grad_scaler("cpu") is None
    with pytest.warns(UserWarning) if not torch.cuda.is_available() else contextlib.nullcontext():
        scaler = P.FP16.grad_scaler("cuda")  # on a machine without CUDA: a disabled scaler
    assert isinstance(scaler, torch.amp.GradScaler)


def test_describe_for_the_banner():
    assert P.describe(P.FP32) == "fp32"
    assert P.describe(P.BF16) == "bf16 autocast"
    assert P.describe(P.FP16) == "fp16 autocast + gradient scaler"
    assert P.describe(P.Precision("bf16", torch.bfloat16, reason="AMX")) == "bf16 autocast (AMX)"


def test_precision_is_frozen():
    with pytest.raises(AttributeError):
        P.BF16.name = "fp16"


def test_channels_last_where_it_pays():
    assert P.channels_last_helps("cuda", P.FP16) and P.channels_last_helps("cuda", P.FP32)
    assert P.channels_last_helps("cpu", P.BF16)
    assert not P.channels_last_helps("cpu", P.FP32)
