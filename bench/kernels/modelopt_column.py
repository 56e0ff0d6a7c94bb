"""ModelOpt 0.47's column of the kernel benchmark: its own TensorQuantizer forward (calibrated
amax, its CUDA extensions and Triton kernels, as a user runs it) on the same cases bench_kernels
timed, next to qcfg's figures from bench_kernels --json, in one table.

  python3 bench/kernels/modelopt_column.py --json bench.json [--out table.md]
  python3 bench/kernels/modelopt_column.py --device cpu --shape 256x256   (check the script only)

Each case is a fresh randn tensor of the case's shape and dtype; the quantizer is calibrated on it
(max calibration, as ModelOpt's calibrate does) and then timed: median of 5 repetitions of the
mean of --iters forwards, CUDA events. "x copy" is copy time / op time, copy measured in the same
process (ModelOpt) or by bench_kernels (qcfg): the fake-quant ops move the bytes a copy moves.
Rows without a TensorQuantizer equivalent (Hadamard, packing, amax) show qcfg's figures only.
"""

import argparse
import json
import statistics
import sys
import time

import torch

# bench_kernels row id -> QuantizerAttributeConfig fields (ModelOpt's names).
_MX = {"type": "dynamic", "scale_bits": (8, 0)}
CONFIGS = {
    "fp8_tensor": {"num_bits": (4, 3), "axis": None},
    "fp8_channel": {"num_bits": (4, 3), "axis": 0},
    "int8_channel": {"num_bits": 8, "axis": 0},
    "int4_block128": {"num_bits": 4, "block_sizes": {-1: 128}},
    "nvfp4": {"num_bits": (2, 1), "block_sizes": {-1: 16, "type": "dynamic", "scale_bits": (4, 3)}},
    "mxfp4": {"num_bits": (2, 1), "block_sizes": {-1: 32, **_MX}},
    "mxfp6": {"num_bits": (3, 2), "block_sizes": {-1: 32, **_MX}},
    "mxfp8": {"num_bits": (4, 3), "block_sizes": {-1: 32, **_MX}},
    "mxint8": {"num_bits": 8, "block_sizes": {-1: 32, **_MX}},
}
OPS = {  # row id -> label, when no bench JSON names them
    "fp8_tensor": "fp8 fake quant (per tensor)",
    "fp8_channel": "fp8 fake quant (per channel)",
    "int8_channel": "int8 fake quant (per channel)",
    "int4_block128": "int4 fake quant (block 128)",
    "nvfp4": "nvfp4 fake quant",
    "mxfp4": "mxfp4 fake quant",
    "mxfp6": "mxfp6 (e3m2) fake quant",
    "mxfp8": "mxfp8 fake quant",
    "mxint8": "mxint8 fake quant",
}
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def timer(device, iters):
    """Median over 5 repetitions of the mean time of `iters` calls of fn, in ms."""

    def run(fn):
        for _ in range(3):
            fn()
        reps = []
        for _ in range(5):
            if device == "cuda":
                start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(iters):
                    fn()
                stop.record()
                stop.synchronize()
                reps.append(start.elapsed_time(stop) / iters)
            else:
                t0 = time.perf_counter()
                for _ in range(iters):
                    fn()
                reps.append((time.perf_counter() - t0) * 1e3 / iters)
        return statistics.median(reps)

    return run


def calibrated_quantizer(fields, x):
    from modelopt.torch.quantization.config import QuantizerAttributeConfig
    from modelopt.torch.quantization.nn import TensorQuantizer

    q = TensorQuantizer(QuantizerAttributeConfig(**fields)).to(x.device)
    q.disable_quant()
    q.enable_calib()
    with torch.no_grad():
        q(x)
    q.load_calib_amax()
    q.disable_calib()
    q.enable_quant()
    return q


def modelopt_times(case, device, iters):
    """{row id: ms or error text}, and the copy time, for one case."""
    x = torch.randn(case["shape"], dtype=DTYPES[case["dtype"]], device=device)
    y = torch.empty_like(x)
    time_it = timer(device, iters)
    out = {"copy": time_it(lambda: y.copy_(x))}
    for rid, fields in CONFIGS.items():
        try:
            q = calibrated_quantizer(fields, x)
            with torch.no_grad():
                out[rid] = time_it(lambda: q(x))
        except Exception as e:  # a format ModelOpt cannot run here: report, keep going
            out[rid] = f"n/a ({type(e).__name__}: {str(e).splitlines()[0][:60]})"
        torch.cuda.empty_cache() if device == "cuda" else None
    return out


def fmt_ms(v):
    return f"{v:.3f}" if isinstance(v, float) else ("—" if v is None else v)


def table(cases, mo_results, device_name):
    lines = [f"device: {device_name}", ""]
    for case, mo in zip(cases, mo_results):
        qrows = {r["id"]: r for r in case.get("rows", [])}
        copy_q = qrows.get("copy", {}).get("ms")
        copy_m = mo["copy"]
        lines.append(
            f"### {case['name']}: copy {fmt_ms(copy_q)} ms (bench_kernels), {fmt_ms(copy_m)} ms (this process)"
        )
        lines.append("")
        lines.append("| op | qcfg ms | qcfg x copy | ModelOpt ms | ModelOpt x copy | qcfg vs ModelOpt |")
        lines.append("|---|---|---|---|---|---|")
        ids = [r["id"] for r in case.get("rows", []) if r["id"] != "copy"] or list(CONFIGS)
        for rid in ids:
            q = qrows.get(rid)
            m = mo.get(rid)
            q_ms = q["ms"] if q else None
            q_x = f"{q['x_copy']:.2f}" if q else "—"
            m_x = f"{copy_m / m:.2f}" if isinstance(m, float) else "—"
            ratio = f"{m / q_ms:.2f}x" if isinstance(m, float) and q_ms else "—"
            label = q["op"] if q else OPS.get(rid, rid)
            lines.append(f"| {label} | {fmt_ms(q_ms)} | {q_x} | {fmt_ms(m)} | {m_x} | {ratio} |")
        lines.append("")
    return "\n".join(lines)


def parse_shape(text):
    try:
        dims = [int(d) for d in text.split("x")]
    except ValueError:
        sys.exit(f"modelopt_column: --shape {text!r}: expected dims like 8192x8192 or 8x2048x5120")
    return dims


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="bench_kernels --json output (its cases and qcfg figures)")
    ap.add_argument("--shape", action="append", default=[], help="a case without --json, e.g. 256x256")
    ap.add_argument("--dtype", default="bf16", choices=sorted(DTYPES))
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--out", help="also write the table (markdown) here")
    args = ap.parse_args()
    if args.json:
        try:
            with open(args.json) as f:
                bench = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            sys.exit(f"modelopt_column: {args.json}: {e}; run bench_kernels --json {args.json} first")
        cases, device_name = bench["cases"], bench.get("device", "?")
    elif args.shape:
        cases = [{"name": f"{args.dtype} {s}", "dtype": args.dtype, "shape": parse_shape(s)} for s in args.shape]
        device_name = "cpu" if args.device == "cpu" else torch.cuda.get_device_name()
    else:
        sys.exit("modelopt_column: give --json FILE (from bench_kernels --json) or --shape AxB")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("modelopt_column: no CUDA device; use --device cpu to check the script")
    import modelopt

    print(f"ModelOpt {modelopt.__version__}, torch {torch.__version__}", flush=True)
    results = [modelopt_times(c, args.device, args.iters) for c in cases]
    text = table(cases, results, device_name)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(f"ModelOpt {modelopt.__version__}, torch {torch.__version__}\n\n{text}\n")


if __name__ == "__main__":
    main()
