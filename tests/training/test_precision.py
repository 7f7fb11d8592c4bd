"""precision: auto takes bf16 only where the hardware computes it natively; bf16 asked for still works here.

The decision is checked on faked capability answers (no GPU, and one kind of CPU, here); the probes themselves
are faked only where torch asks the hardware.
"""

from __future__ import annotations

import json

import pytest
import torch
from training_helpers import (  # noqa: F401
    run_config,
    run_program,
    training_inputs,
    write_config,
)

from resume_ner.training import model
from resume_ner.training.model import bf16_is_native, resolve_precision
from resume_ner.training.protocol import METRICS_FILE

PLAIN_AVX512 = {"avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"}


@pytest.mark.parametrize(
    ("device_type", "answers", "native"),
    [
        ("cpu", {"cpu_flags": PLAIN_AVX512}, False),
        ("cpu", {"cpu_flags": PLAIN_AVX512 | {"avx512_bf16"}}, True),
        ("cpu", {"cpu_flags": PLAIN_AVX512 | {"amx_tile", "amx_bf16"}}, True),
        ("cpu", {"cpu_flags": {"avx2"}}, False),
        ("cpu", {"cpu_flags": PLAIN_AVX512 | {"avx512_bf16"}, "onednn": False}, False),
        ("cuda", {"cuda_bf16": True}, True),
        ("cuda", {"cuda_bf16": False}, False),
        ("mps", {}, False),
        ("mps", {"cpu_flags": {"amx_bf16"}}, False),
    ],
    ids=[
        "avx512-without-bf16",
        "avx512-bf16",
        "amx",
        "avx2",
        "no-onednn",
        "cuda-native",
        "cuda-emulated",
        "mps",
        "mps-on-an-amx-host",
    ],
)
def test_bf16_is_native_only_with_the_hardware_for_it(device_type, answers, native):
    assert bf16_is_native(device_type, **answers) is native


def fake_cpu(monkeypatch, flags: set[str]) -> None:
    """This CPU answers with ``flags`` (torch's capability names) instead of what it has."""
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {flag: True for flag in flags} | {"avx512_fp16": False})


def test_auto_stays_fp32_on_a_cpu_with_avx512_but_no_bf16(monkeypatch):
    # oneDNN's own check says yes for plain AVX512, where bf16 is emulated and slower than fp32.
    fake_cpu(monkeypatch, PLAIN_AVX512)
    assert resolve_precision("auto", torch.device("cpu")) is None


@pytest.mark.parametrize("flag", ["avx512_bf16", "amx_bf16"])
def test_auto_takes_bf16_on_a_cpu_that_computes_it(monkeypatch, flag):
    fake_cpu(monkeypatch, PLAIN_AVX512 | {flag})
    assert resolve_precision("auto", torch.device("cpu")) is torch.bfloat16


def test_auto_asks_cuda_for_native_bf16_not_emulation(monkeypatch):
    asked = {}

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        asked["including_emulation"] = including_emulation
        return including_emulation  # an older GPU: bf16 only through emulation

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert resolve_precision("auto", torch.device("cuda")) is None
    assert asked == {"including_emulation": False}


def test_the_cpu_flags_come_from_torch_or_else_from_proc_cpuinfo(monkeypatch, tmp_path):
    fake_cpu(monkeypatch, {"amx_bf16"})
    assert "amx_bf16" in model.cpu_feature_flags() and "avx512_fp16" not in model.cpu_feature_flags()
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert model._proc_cpuinfo_flags(cpuinfo) == {"fpu", "avx512f", "avx512_bf16"}
    assert model._proc_cpuinfo_flags(tmp_path / "missing") == frozenset()


def test_fp32_and_unsupported_devices(monkeypatch):
    assert resolve_precision("fp32", torch.device("cpu")) is None
    assert resolve_precision("auto", torch.device("mps")) is None
    fake_cpu(monkeypatch, PLAIN_AVX512)
    assert resolve_precision("bf16", torch.device("cpu")) is torch.bfloat16  # asked for: taken, even if emulated


@pytest.mark.slow
def test_bf16_asked_for_trains_on_this_cpu(tmp_path, training_inputs):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, precision="bf16", save_checkpoint=False)
    result = run_program(write_config(config, tmp_path / "config.json"))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["precision"] == "bf16" and metrics["history"][0]["train_loss"] > 0
