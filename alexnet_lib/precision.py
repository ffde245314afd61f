"""Mixed precision chosen by what the device can do.

- CPU: bf16 autocast where the processor computes bf16 natively (AVX-512 BF16 or AMX, as
  on recent AMD EPYC / Intel Xeon); elsewhere fp32, since emulated bf16 is slower than fp32.
- CUDA: bf16 autocast from compute capability 8.0 (Ampere) up; below it (a T4 is 7.5)
  fp16 autocast with a gradient scaler, since fp16's small range underflows gradients.
  ``torch.cuda.is_bf16_supported()`` is not the test: it also counts emulation.
- "fp32" on request, everywhere.

Under autocast the convolutions and matrix products run in the low precision; LRN's sums
of squares (``layers.LocalResponseNorm``) and the loss (computed on ``logits.float()``)
stay in float32. This module imports only torch; the device helpers live here too, at the bottom of
the package, so that ``record`` and the chapter banner need not import the training loop.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch

NAMES = ("bf16", "fp16", "fp32")
PROFILE_ENV_VAR = "ALEXNET_PROFILE"


def default_device() -> torch.device:
    """The GPU where there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device: torch.device | str) -> str:
    """The device as a record and a chapter's banner name it."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


def default_profile_name() -> str:
    """``ALEXNET_PROFILE`` if set, else ``full`` on a CUDA machine and ``quick`` elsewhere
    (here, not in ``config``, because it asks the hardware and ``config`` imports no torch)."""
    name = os.environ.get(PROFILE_ENV_VAR, "").strip()
    if name:
        return name
    return "full" if torch.cuda.is_available() else "quick"


@dataclass(frozen=True)
class Precision:
    """What a run computes in: ``name`` ("bf16", "fp16", "fp32"), the autocast ``dtype``
    (None for fp32), whether gradients need a ``GradScaler``, and why it was chosen."""

    name: str
    dtype: torch.dtype | None
    needs_scaler: bool = False
    reason: str = ""

    def autocast(self, device: torch.device | str):
        """The context to run the forward pass in (a no-op for fp32)."""
        device = torch.device(device)
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.dtype)

    def grad_scaler(self, device: torch.device | str) -> torch.amp.GradScaler | None:
        """A ``GradScaler`` for fp16, else None (bf16 has fp32's range and needs none)."""
        if not self.needs_scaler:
            return None
        return torch.amp.GradScaler(torch.device(device).type)


FP32 = Precision("fp32", None)
BF16 = Precision("bf16", torch.bfloat16)
FP16 = Precision("fp16", torch.float16, needs_scaler=True)
_BY_NAME = {p.name: p for p in (BF16, FP16, FP32)}


def cpu_flags() -> set[str]:
    """The flags line of /proc/cpuinfo (Linux), or an empty set where there is none."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_has_native_bf16() -> tuple[bool, str]:
    """Whether this CPU computes bf16 natively, and which feature says so.

    ``torch.backends.cpu.get_cpu_capability()`` reports the vector width torch's kernels
    use ("AVX512"), not whether the AVX-512 BF16 or AMX instructions are present, so it
    cannot decide this. torch's own probes (cpuinfo, any OS) come first; /proc/cpuinfo's
    flags back them up where those private functions are missing.
    """
    cpu = getattr(torch, "cpu", None)
    probes = (("AMX", "_is_amx_tile_supported"), ("AVX-512 BF16", "_is_avx512_bf16_supported"))
    found_probe = False
    for feature, probe in probes:
        fn = getattr(cpu, probe, None)
        if fn is None:
            continue
        found_probe = True
        try:
            if fn():
                return True, feature
        except Exception:  # noqa: BLE001 - a failing private probe means "unknown"
            found_probe = False
    if found_probe:
        return False, "no AVX-512 BF16 or AMX"
    flags = cpu_flags()
    if "amx_bf16" in flags:
        return True, "AMX"
    if "avx512_bf16" in flags:
        return True, "AVX-512 BF16"
    return False, "no AVX-512 BF16 or AMX"


def cuda_capability(device: torch.device | str) -> tuple[int, int]:
    return torch.cuda.get_device_capability(torch.device(device))


def choose_precision(device: torch.device | str, requested: str = "auto") -> Precision:
    """The precision to train and evaluate in on ``device``.

    ``requested``: "auto" (by the device, as the module docstring says), or "bf16",
    "fp16", "fp32" to force one (fp16 on a CPU is refused: CPU autocast to fp16 is
    neither faster nor scaled).
    """
    device = torch.device(device)
    if requested not in ("auto", *NAMES):
        raise ValueError(f"precision must be 'auto' or one of {NAMES}, got {requested!r}")
    if requested != "auto":
        if requested == "fp16" and device.type == "cpu":
            raise ValueError("fp16 autocast is for CUDA; on a CPU use 'bf16' or 'fp32'")
        return _with_reason(_BY_NAME[requested], "requested")
    if device.type == "cuda":
        major, minor = cuda_capability(device)
        if major >= 8:
            return _with_reason(BF16, f"compute capability {major}.{minor} >= 8.0")
        return _with_reason(FP16, f"compute capability {major}.{minor} < 8.0: no bf16 tensor cores")
    if device.type == "cpu":
        native, feature = cpu_has_native_bf16()
        return _with_reason(BF16 if native else FP32, feature)
    return _with_reason(FP32, f"{device.type}: no mixed-precision rule")


def _with_reason(precision: Precision, reason: str) -> Precision:
    return Precision(precision.name, precision.dtype, precision.needs_scaler, reason)


def describe(precision: Precision) -> str:
    """One line for a chapter's banner, e.g. "bf16 autocast (AVX-512 BF16)"."""
    if precision.dtype is None:
        text = "fp32"
    else:
        text = f"{precision.name} autocast"
        if precision.needs_scaler:
            text += " + gradient scaler"
    return f"{text} ({precision.reason})" if precision.reason else text


def channels_last_helps(device: torch.device | str, precision: Precision) -> bool:
    """Whether to train in channels_last (NHWC) memory layout on ``device``.

    On CUDA, tensor cores want NHWC. On the CPU, oneDNN's bf16 convolutions run in NHWC
    (an NCHW input is reordered at every layer), so NHWC pays under bf16; in fp32 it
    measured no better than NCHW (``benchmarks/cpu_speed.py``, data/records/cpu-speed.json).
    """
    device = torch.device(device)
    return device.type == "cuda" or (device.type == "cpu" and precision.dtype is not None)
