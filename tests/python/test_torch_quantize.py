"""qcfg.torch on plain nn.Module models, on the CPU (Debian's torch in CI): the op library,
the live inventory, max calibration against a straightforward reference, fold_weight against
`qcfg ptq --mode fake`, export against `qcfg ptq --mode export` with the same amax, bad input."""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest
import warnings
import weakref

import torch

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402
import qcfg.torch as qtq  # noqa: E402
from qcfg import QcfgError, qcfg_executable  # noqa: E402
from qcfg.torch import safetensors_io  # noqa: E402
from qcfg.torch import calibration  # noqa: E402
from qcfg.torch.inventory import build_inventory  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FP8 = os.path.join(ROOT, "recipes", "ptq", "fp8.yaml")  # W8A8 FP8 + FP8 KV cache
NVFP4 = os.path.join(ROOT, "recipes", "ptq", "nvfp4_w4a4.yaml")
TINY_CONFIG = {"architectures": ["TinyForCausalLM"], "model_type": "tiny", "vocab_size": 100}


def forward_loop_of(data):
    def loop(model):
        for b in data:
            model(b)
    return loop


def mlp_data(n=3, seed=5):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 8, 64, generator=g).to(torch.bfloat16) for _ in range(n)]


def reference_max(model, data, targets):
    """{module name: max |tensor|} by plain hooks: targets maps module name -> 'in' | 'out'."""
    seen, handles = {}, []
    mods = dict(model.named_modules())

    def record(name, t):
        v = t.detach().abs().max().float()
        seen[name] = v if name not in seen else torch.maximum(seen[name], v)

    for name, where in targets.items():
        if where == "in":
            handles.append(mods[name].register_forward_pre_hook(
                lambda m, a, n=name: record(n, a[0])))
        else:
            handles.append(mods[name].register_forward_hook(
                lambda m, a, o, n=name: record(n, o)))
    with torch.no_grad():
        forward_loop_of(data)(model)
    for h in handles:
        h.remove()
    return seen


def save_checkpoint(model, directory, config=None):
    os.makedirs(directory)
    sd = {k: v for k, v in model.state_dict().items()}
    safetensors_io.save_file(sd, os.path.join(directory, "model.safetensors"))
    if config is not None:
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(config, f)


def qcfg(*args):
    p = subprocess.run([qcfg_executable()] + [str(a) for a in args], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise AssertionError(f"qcfg {args[0]} exit {p.returncode}: {p.stderr}")
    return p


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class OpsTest(unittest.TestCase):
    def test_amax_and_fake_quant_agree_with_attributes(self):
        ops = qtq.ops()
        x = torch.randn(8, 64, generator=torch.Generator().manual_seed(3)).to(torch.bfloat16)
        self.assertEqual(ops.amax(x).item(), x.abs().max().float().item())
        attrs = json.dumps({"num_bits": [4, 3], "axis": None})
        amax = ops.calibrate(x, attrs)
        self.assertTrue(torch.equal(ops.fake_quant(x, attrs, amax), ops.fake_quant_fp8(x, amax)))
        y = ops.fake_quant_fp8(x, amax)
        self.assertEqual(y.dtype, torch.bfloat16)
        self.assertFalse(torch.equal(x, y))  # FP8 has 3 mantissa bits, bf16 7
        per_row = ops.amax(x, axis=0)
        self.assertTrue(torch.equal(per_row, x.abs().amax(dim=1).float()))

    def test_dynamic_per_token_takes_the_amax_of_each_token(self):
        ops = qtq.ops()
        x = torch.randn(8, 64, generator=torch.Generator().manual_seed(6)).to(torch.bfloat16)
        attrs = json.dumps({"num_bits": [4, 3], "type": "dynamic", "block_sizes": {"-1": None}})
        self.assertFalse(ops.needs_calibration(attrs))
        self.assertTrue(torch.equal(ops.fake_quant(x, attrs),
                                    ops.fake_quant_fp8(x, ops.amax(x, axis=0), axis=0)))
        self.assertTrue(ops.needs_calibration(json.dumps({"num_bits": [4, 3], "axis": None})))

    def test_bad_arguments_raise_value_error(self):
        ops = qtq.ops()
        x = torch.randn(4, 24)
        with self.assertRaisesRegex(ValueError, "qcfg.fake_quant_nvfp4: .*block size must be 16 or 32"):
            ops.fake_quant_nvfp4(x, 1.0, 12)
        with self.assertRaisesRegex(ValueError, "attributes"):
            ops.calibrate(x, json.dumps({"num_bits": 8, "calibrator": "histogram"}))
        with self.assertRaisesRegex(ValueError, "unknown MX element"):
            ops.fake_quant_mx(torch.randn(4, 32), "e9m9", 32)

    def test_observe_amax_folds_max_abs_into_its_slot(self):
        # what calibration's Observers call per observed tensor: acc[i] = max(acc[i], max|x|)
        ops = qtq.ops()
        g = torch.Generator().manual_seed(8)
        acc = torch.zeros(3)
        seen = torch.zeros(())
        for dtype in (torch.float32, torch.float16, torch.bfloat16):
            for shape in ((4, 8, 64), (3, 5), (7,)):
                x = (torch.randn(shape, generator=g) * 3).to(dtype)
                ops.observe_amax_(acc, 1, x)
                seen = torch.maximum(seen, x.abs().max().float())
                self.assertEqual(acc[1].view(torch.int32), seen.view(torch.int32))
        y = -torch.arange(24.0).reshape(2, 3, 4) * 10  # all negative: max|x| is -min x
        ops.observe_amax_(acc, 2, y.transpose(0, 2))  # a permuted view
        ops.observe_amax_(acc, 2, y[:, ::2])  # a strided one
        self.assertEqual(acc.tolist()[0], 0.0)
        self.assertEqual(acc[2].item(), 230.0)
        ops.observe_amax_(acc, 0, torch.zeros(0, 4))  # nothing observed
        self.assertEqual(acc[0].item(), 0.0)
        ops.observe_amax_(acc, 0, torch.tensor([1.0, float("inf")]))
        self.assertEqual(acc[0].item(), float("inf"))
        ops.observe_amax_(acc, 0, torch.tensor([float("nan"), 2.0], dtype=torch.bfloat16))
        self.assertTrue(acc[0].isnan())
        ops.observe_amax_(acc, 0, torch.tensor([5.0]))  # NaN stays
        self.assertTrue(acc[0].isnan())
        with self.assertRaisesRegex(ValueError, "outside the accumulator"):
            ops.observe_amax_(acc, 3, torch.ones(2))
        with self.assertRaisesRegex(ValueError, "contiguous 1-D float32"):
            ops.observe_amax_(torch.zeros(3, dtype=torch.float64), 0, torch.ones(2))
        with self.assertRaisesRegex(ValueError, "dtype Long is not supported"):
            ops.observe_amax_(acc, 0, torch.ones(2, dtype=torch.long))

    def test_packing(self):
        ops = qtq.ops()
        w = torch.randn(16, 64, generator=torch.Generator().manual_seed(4))
        codes, scales, scale_2 = ops.pack_nvfp4(w, float(w.abs().max()), 16)
        self.assertEqual(tuple(codes.shape), (16, 32))
        self.assertEqual(tuple(scales.shape), (16, 4))
        self.assertGreater(scale_2, 0)
        codes, scale = ops.pack_fp8(w, ops.amax(w))
        self.assertEqual(codes.dtype, torch.uint8)
        self.assertAlmostEqual(float(scale), float(w.abs().max()) / 448, places=6)


class InventoryTest(unittest.TestCase):
    def test_modelopt_names(self):
        names = [s.name for s in build_inventory(models.seeded(models.TinyModel)).sites]
        self.assertEqual(names[:3], ["embed_tokens.weight_quantizer",
                                     "embed_tokens.input_quantizer",
                                     "embed_tokens.output_quantizer"])
        attn = [n for n in names if n.startswith("layers.0.self_attn.")]
        self.assertEqual(attn[-4:], ["layers.0.self_attn.q_bmm_quantizer",
                                     "layers.0.self_attn.k_bmm_quantizer",
                                     "layers.0.self_attn.v_bmm_quantizer",
                                     "layers.0.self_attn.p_bmm_quantizer"])
        self.assertIn("layers.1.mlp.down_proj.input_quantizer", names)
        self.assertEqual(names[-1], "lm_head.output_quantizer")

    def test_fused_experts_names(self):
        class Experts(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.gate_up_proj = torch.nn.Parameter(torch.zeros(3, 8, 4))
                self.down_proj = torch.nn.Parameter(torch.zeros(3, 4, 4))

        class Moe(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.experts = Experts()

        sites = build_inventory(Moe()).sites
        self.assertEqual([s.name for s in sites][:4], [
            "experts.gate_up_proj_input_quantizer", "experts.gate_up_proj_weight_quantizers.0",
            "experts.gate_up_proj_weight_quantizers.1", "experts.gate_up_proj_weight_quantizers.2"])
        self.assertEqual(sites[0].parent_class, "hf.Experts")
        self.assertIsNone(sites[1].parent_class)


class CalibrationTest(unittest.TestCase):
    def test_mlp_amax_is_the_max_of_the_inputs(self):
        model, data = models.seeded(models.MLP), mlp_data()
        ref = reference_max(model, data, {"up_proj": "in", "down_proj": "in"})
        qtq.quantize(model, FP8, forward_loop_of(data))
        amax = qtq.activation_amax(model)
        self.assertEqual(sorted(amax), ["down_proj.input_quantizer", "up_proj.input_quantizer"])
        for module in ("up_proj", "down_proj"):
            self.assertEqual(amax[module + ".input_quantizer"].item(), ref[module].item())
        w = qtq.weight_amax(model)["up_proj.weight_quantizer"]
        self.assertEqual(w.item(), model.up_proj.weight.abs().max().float().item())

    def test_empty_batches_are_not_observations(self):
        # an empty tensor (an expert that got no token) adds nothing; alone it calibrates nothing
        model, data = models.seeded(models.MLP), mlp_data()
        ref = reference_max(model, data, {"up_proj": "in", "down_proj": "in"})
        empty = [torch.zeros(0, 8, 64, dtype=torch.bfloat16)]
        qtq.quantize(model, FP8, forward_loop_of(empty + data + empty))
        amax = qtq.activation_amax(model)
        for module in ("up_proj", "down_proj"):
            self.assertEqual(amax[module + ".input_quantizer"].item(), ref[module].item())
        with self.assertRaisesRegex(QcfgError, "saw no tensor in the forward loop"):
            qtq.quantize(models.seeded(models.MLP), FP8, forward_loop_of(empty))

    def test_one_op_per_distinct_observed_tensor(self):
        # q/k/v_proj read one tensor, so do gate/up: one observe_amax_ for it, the same amax
        model, data = models.seeded(models.TinyModel), models.batches()
        targets = {f"layers.{i}.{m}": "in" for i in range(2)
                   for m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                             "self_attn.o_proj", "mlp.up_proj", "mlp.down_proj")}
        ref = reference_max(model, data, targets)
        with torch.autograd.profiler.profile() as prof:
            qtq.quantize(model, FP8, forward_loop_of(data))
        ops = sum(e.name == "qcfg::observe_amax_" for e in prof.function_events)
        amax = qtq.activation_amax(model)
        for name, v in ref.items():
            self.assertEqual(amax[name + ".input_quantizer"].view(torch.int32).item(),
                             v.view(torch.int32).item(), name)
        # per layer and batch: the attention input, o_proj's, up_proj's, down_proj's, the key
        # and the value (8 quantizers observe, 6 distinct tensors), and one op per weight
        # quantizer (its weight); the fold at the end uses aten ops, a few per chunk
        weights = len(qtq.weight_amax(model))
        self.assertEqual(ops, 2 * 3 * 6 + weights, (sorted(amax), weights))

    def test_amax_across_log_chunks(self):
        # a log of 5 entries a chunk (4 usable): the slots' entries spread over many chunks
        model, data = models.seeded(models.TinyModel), models.batches(n=5)
        targets = {f"layers.{i}.{m}": "in" for i in range(2)
                   for m in ("self_attn.q_proj", "self_attn.o_proj", "mlp.down_proj")}
        ref = reference_max(model, data, targets)
        size = calibration._Log.size
        calibration._Log.size = 5
        try:
            qtq.quantize(model, FP8, forward_loop_of(data))
        finally:
            calibration._Log.size = size
        amax = qtq.activation_amax(model)
        for name, v in ref.items():
            self.assertEqual(amax[name + ".input_quantizer"].item(), v.item(), name)

    def test_segment_max_is_the_max_of_each_segment(self):
        g = torch.Generator().manual_seed(3)
        values = (torch.rand(300, generator=g) * 100).float()
        values[0] = 0.0  # the padding entry
        values[7], values[200] = float("inf"), float("nan")
        bits = values.view(torch.int32)
        segments = [[5], [1, 2, 3], list(range(1, 300)), [7, 8], [200, 9], list(range(40, 90)),
                    [0]]
        got = calibration._segment_max(bits, segments, "cpu", width=4)
        for row, seg in enumerate(segments):
            want = max(bits[i].item() for i in seg)
            self.assertEqual(got[row].item(), want, row)

    def test_an_input_changed_in_place_is_observed_again(self):
        model, data = models.seeded(models.SharedInput), mlp_data()
        ref = reference_max(model, data, {"a": "in", "b": "in", "c": "in"})
        self.assertNotEqual(ref["a"].item(), ref["b"].item())
        for loop in (forward_loop_of(data), self.inference_mode_loop(data)):
            qtq.quantize(model, FP8, loop)
            amax = qtq.activation_amax(model)
            for m in "abc":
                self.assertEqual(amax[m + ".input_quantizer"].item(), ref[m].item(), m)
            model = models.seeded(models.SharedInput)

    def test_calibration_keeps_no_activation_alive(self):
        # down_proj's input must be freed when the model drops it, not at the next observation
        model, data = models.seeded(models.MLP), mlp_data()
        refs, alive = [], []
        model.down_proj.register_forward_pre_hook(lambda m, a: refs.append(weakref.ref(a[0])))

        def loop(m):
            for b in data:
                m(b)
                alive.append(refs[-1]() is not None)
        qtq.quantize(model, FP8, loop)
        self.assertEqual(alive, [False] * len(data))

    @staticmethod
    def inference_mode_loop(data):
        def loop(model):  # inference tensors have no version counter: nothing is shared
            with torch.inference_mode():
                for b in data:
                    model(b)
        return loop

    def test_kv_amax_is_what_the_attention_kernel_sees(self):
        model, data = models.seeded(models.TinyModel), models.batches()
        ref = reference_max(model, data, {f"layers.{i}.self_attn.{p}": "out"
                                          for i in range(2) for p in ("k_proj", "v_proj")})
        # the key the kernel sees is k_proj's output times 1.5 (in bf16; exact: 1.5 = 2^0 + 2^-1
        # rounds, so recompute it the way the model does)
        kref = {}
        hooks = [model.layers[i].self_attn.k_proj.register_forward_hook(
            lambda m, a, o, i=i: kref.__setitem__(i, torch.maximum(
                kref.get(i, torch.tensor(0.0)), (o * 1.5).abs().max().float())))
            for i in range(2)]
        with torch.no_grad():
            forward_loop_of(data)(model)
        for h in hooks:
            h.remove()
        qtq.quantize(model, FP8, forward_loop_of(data))
        amax = qtq.activation_amax(model)
        for i in range(2):
            a = f"layers.{i}.self_attn."
            self.assertEqual(amax[a + "k_bmm_quantizer"].item(), kref[i].item())
            self.assertEqual(amax[a + "v_bmm_quantizer"].item(), ref[a + "v_proj"].item())
            self.assertNotEqual(amax[a + "k_bmm_quantizer"].item(), ref[a + "k_proj"].item())
        self.assertNotIn("lm_head.input_quantizer", amax)  # disabled by the recipe

    def test_quantized_forward_fake_quantizes_weights_and_inputs(self):
        model, data = models.seeded(models.MLP), mlp_data()
        qtq.quantize(model, FP8, forward_loop_of(data))
        ops, amax, wamax = qtq.ops(), qtq.activation_amax(model), qtq.weight_amax(model)
        w_up, w_down = model.up_proj.weight.detach().clone(), model.down_proj.weight.detach().clone()
        x = data[1]
        with torch.no_grad():
            h = torch.relu(torch.nn.functional.linear(
                ops.fake_quant_fp8(x, amax["up_proj.input_quantizer"]),
                ops.fake_quant_fp8(w_up, wamax["up_proj.weight_quantizer"])))
            want = torch.nn.functional.linear(
                ops.fake_quant_fp8(h, amax["down_proj.input_quantizer"]),
                ops.fake_quant_fp8(w_down, wamax["down_proj.weight_quantizer"]))
            self.assertTrue(torch.equal(model(x), want))
        # the weights themselves are untouched until fold_weight
        self.assertTrue(torch.equal(model.up_proj.weight, w_up))

    def test_fused_experts_observe_each_expert_linear(self):
        import torch.nn.functional as F

        class Experts(torch.nn.Module):
            def __init__(self, e=3, dim=32, hidden=16):
                super().__init__()
                self.gate_up_proj = torch.nn.Parameter(torch.randn(e, 2 * hidden, dim) * 0.1)
                self.down_proj = torch.nn.Parameter(torch.randn(e, dim, hidden) * 0.1)

            def forward(self, x):  # every token to expert (row index mod E), as a router would
                out = torch.zeros_like(x)
                for e in range(self.gate_up_proj.shape[0]):
                    rows = x[e::self.gate_up_proj.shape[0]]
                    gate, up = F.linear(rows, self.gate_up_proj[e]).chunk(2, dim=-1)
                    out[e::self.gate_up_proj.shape[0]] = F.linear(F.silu(gate) * up,
                                                                  self.down_proj[e])
                return out

        class Moe(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.experts = Experts()

            def forward(self, x):
                return self.experts(x)

        torch.manual_seed(0)
        model = Moe()
        g = torch.Generator().manual_seed(9)
        data = [torch.randn(12, 32, generator=g) for _ in range(2)]
        seen = {"down": torch.tensor(0.0)}
        original = F.linear

        def spy(x, w, b=None):
            y = original(x, w, b)
            if w.shape[-1] == 16:
                seen["down"] = torch.maximum(seen["down"], x.abs().max())
            return y
        F.linear = spy
        try:
            with torch.no_grad():
                for b in data:
                    model(b)
        finally:
            F.linear = original
        recipe = {"quant_cfg": [{"quantizer_name": "*", "enable": False},
                                {"quantizer_name": "*experts*", "cfg": {"num_bits": [4, 3],
                                                                         "axis": None}}]}
        qtq.quantize(model, recipe, forward_loop_of(data))
        amax = qtq.activation_amax(model)
        self.assertEqual(amax["experts.gate_up_proj_input_quantizer"].item(),
                         max(float(b.abs().max()) for b in data))
        self.assertEqual(amax["experts.down_proj_input_quantizer"].item(), seen["down"].item())
        wamax = qtq.weight_amax(model)
        for e in range(3):
            self.assertEqual(wamax[f"experts.gate_up_proj_weight_quantizers.{e}"].item(),
                             model.experts.gate_up_proj[e].abs().max().item())
        # the quantized forward: each expert's slice fake-quantized by its own weight quantizer,
        # each expert linear's input by its parameter's input quantizer; weights restored after
        ops, x, n = qtq.ops(), data[0], 3
        gu = [ops.fake_quant_fp8(model.experts.gate_up_proj[e],
                                 wamax[f"experts.gate_up_proj_weight_quantizers.{e}"]) for e in range(n)]
        dn = [ops.fake_quant_fp8(model.experts.down_proj[e],
                                 wamax[f"experts.down_proj_weight_quantizers.{e}"]) for e in range(n)]
        want = torch.zeros_like(x)
        for e in range(n):
            rows = ops.fake_quant_fp8(x[e::n], amax["experts.gate_up_proj_input_quantizer"])
            gate, up = F.linear(rows, gu[e]).chunk(2, dim=-1)
            h = ops.fake_quant_fp8(F.silu(gate) * up, amax["experts.down_proj_input_quantizer"])
            want[e::n] = F.linear(h, dn[e])
        unquantized = model.experts.gate_up_proj.detach().clone()
        with torch.no_grad():
            self.assertTrue(torch.equal(model(x), want))
        self.assertTrue(torch.equal(model.experts.gate_up_proj, unquantized))
        before = model.experts.down_proj.detach().clone()
        qtq.fold_weight(model)
        self.assertTrue(torch.equal(model.experts.down_proj[1], qtq.ops().fake_quant_fp8(
            before[1], wamax["experts.down_proj_weight_quantizers.1"])))

    def test_quantized_forward_fake_quantizes_inputs(self):
        model, data = models.seeded(models.MLP), mlp_data()
        plain = models.seeded(models.MLP)
        qtq.quantize(model, FP8, forward_loop_of(data))
        qtq.fold_weight(model)
        ops, amax = qtq.ops(), qtq.activation_amax(model)
        x = data[0]
        with torch.no_grad():
            h = torch.relu(torch.nn.functional.linear(
                ops.fake_quant_fp8(x, amax["up_proj.input_quantizer"]), model.up_proj.weight))
            want = torch.nn.functional.linear(
                ops.fake_quant_fp8(h, amax["down_proj.input_quantizer"]), model.down_proj.weight)
            self.assertTrue(torch.equal(model(x), want))
            self.assertFalse(torch.equal(model(x), plain(x)))


class FoldAndExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="qcfg_pytest_")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def check_fold(self, recipe):
        model = models.seeded(models.TinyModel)
        ckpt = os.path.join(self.dir, "ckpt")
        save_checkpoint(model, ckpt, TINY_CONFIG)
        qtq.quantize(model, recipe, forward_loop_of(models.batches()))
        qtq.fold_weight(model)
        out = os.path.join(self.dir, "fake")
        qcfg("ptq", recipe, "--model", ckpt, "--out", out, "--mode", "fake", "--device", "cpu",
             "--quiet", "--no-sync")
        ref = safetensors_io.load_file(os.path.join(out, "model.safetensors"))
        folded = model.state_dict()
        changed = 0
        for name, t in ref.items():
            self.assertTrue(torch.equal(folded[name].view(torch.uint8), t.view(torch.uint8)),
                            f"{name} differs from qcfg ptq --mode fake")
            changed += int(not torch.equal(t, models.seeded(models.TinyModel).state_dict()[name]))
        self.assertGreater(changed, 0)

    def test_fold_weight_fp8_equals_runtime_fake(self):
        self.check_fold(FP8)

    def test_fold_weight_nvfp4_equals_runtime_fake(self):
        self.check_fold(NVFP4)

    def test_export_equals_ptq_with_the_same_amax(self):
        for recipe in (FP8, NVFP4):
            with self.subTest(recipe=os.path.basename(recipe)):
                work = os.path.join(self.dir, os.path.basename(recipe))
                model = models.seeded(models.TinyModel)
                ckpt = os.path.join(work, "ckpt")
                save_checkpoint(model, ckpt, TINY_CONFIG)
                qtq.quantize(model, recipe, forward_loop_of(models.batches()))
                ours = os.path.join(work, "ours")
                qtq.export_hf_checkpoint(model, ours, checkpoint_dir=ckpt, device="cpu")
                amax_file = os.path.join(work, "amax.json")
                with open(amax_file, "w") as f:
                    json.dump({k: float(v) for k, v in qtq.activation_amax(model).items()}, f)
                ref = os.path.join(work, "ref")
                qcfg("ptq", recipe, "--model", ckpt, "--out", ref, "--mode", "export",
                     "--device", "cpu", "--act-amax", amax_file, "--quiet")
                for fn in ("model.safetensors", "hf_quant_config.json", "config.json"):
                    self.assertEqual(file_digest(os.path.join(ours, fn)),
                                     file_digest(os.path.join(ref, fn)), fn)
                tensors = safetensors_io.load_file(os.path.join(ours, "model.safetensors"))
                amax = qtq.activation_amax(model)
                bound = 448.0 if recipe == FP8 else 448.0 * 6
                got = tensors["layers.0.mlp.up_proj.input_scale"].float().item()
                want = amax["layers.0.mlp.up_proj.input_quantizer"].item() / bound
                self.assertAlmostEqual(got, want, delta=want * 1e-6)
                if recipe == FP8:
                    self.assertIn("layers.1.self_attn.k_proj.k_scale", tensors)

    def test_export_in_process_equals_the_subprocess(self):
        # the op library runs `qcfg ptq` in this process (torch.ops.qcfg.run_command); the
        # fallback runs it as a subprocess: the same files, byte for byte
        self.assertIsNotNone(qtq.ops().run_command)
        model = models.seeded(models.TinyModel)
        ckpt = os.path.join(self.dir, "ckpt")
        save_checkpoint(model, ckpt, TINY_CONFIG)
        qtq.quantize(model, FP8, forward_loop_of(models.batches()))
        outs = {}
        for inside in (True, False):
            outs[inside] = os.path.join(self.dir, f"in_process_{inside}")
            qtq.export_hf_checkpoint(model, outs[inside], checkpoint_dir=ckpt, device="cpu",
                                     in_process=inside)
        names = sorted(os.listdir(outs[True]))
        self.assertEqual(names, sorted(os.listdir(outs[False])))
        self.assertIn("model.safetensors", names)
        for fn in names:
            self.assertEqual(file_digest(os.path.join(outs[True], fn)),
                             file_digest(os.path.join(outs[False], fn)), fn)

    def test_export_in_process_failure_carries_the_runtime_message(self):
        model = models.seeded(models.MLP)
        qtq.quantize(model, FP8, forward_loop_of(mlp_data()))
        fd2 = os.fstat(2)
        with self.assertRaises(QcfgError) as err:  # the output directory exists
            qtq.export_hf_checkpoint(model, self.dir, device="cpu", in_process=True)
        self.assertIn("qcfg ptq failed (exit", str(err.exception))
        self.assertIn(self.dir, str(err.exception))
        after = os.fstat(2)  # stderr is this process's again
        self.assertEqual((fd2.st_dev, fd2.st_ino), (after.st_dev, after.st_ino))
        with self.assertRaisesRegex(QcfgError, "give jobs= or --jobs"):
            qtq.export_hf_checkpoint(model, os.path.join(self.dir, "x"), device="cpu", jobs=2,
                                     extra_args=["--jobs", "1"])

    def test_export_from_live_weights(self):
        model, data = models.seeded(models.MLP), mlp_data()
        ckpt = os.path.join(self.dir, "ckpt")
        save_checkpoint(model, ckpt)
        qtq.quantize(model, FP8, forward_loop_of(data))
        ours = os.path.join(self.dir, "ours")
        qtq.export_hf_checkpoint(model, ours, device="cpu")
        ref = os.path.join(self.dir, "ref")
        amax_file = os.path.join(self.dir, "amax.json")
        with open(amax_file, "w") as f:
            json.dump({k: float(v) for k, v in qtq.activation_amax(model).items()}, f)
        qcfg("ptq", FP8, "--model", ckpt, "--out", ref, "--mode", "export", "--device", "cpu",
             "--act-amax", amax_file, "--quiet")
        self.assertEqual(file_digest(os.path.join(ours, "model.safetensors")),
                         file_digest(os.path.join(ref, "model.safetensors")))
        # the same recipe as a ModelOpt-style config dict
        as_dict = {"algorithm": "max", "quant_cfg": [
            {"quantizer_name": "*", "enable": False},
            {"quantizer_name": "*weight_quantizer", "cfg": {"num_bits": [4, 3], "axis": None}},
            {"quantizer_name": "*input_quantizer", "cfg": {"num_bits": [4, 3], "axis": None}}]}
        again = models.seeded(models.MLP)
        qtq.quantize(again, as_dict, forward_loop_of(data))
        from_dict = os.path.join(self.dir, "from_dict")
        qtq.export_hf_checkpoint(again, from_dict, device="cpu")
        self.assertEqual(file_digest(os.path.join(from_dict, "model.safetensors")),
                         file_digest(os.path.join(ref, "model.safetensors")))

    def test_config_dict_with_integer_axis_keys(self):
        # ModelOpt's own dicts (mtq.NVFP4_DEFAULT_CFG, INT4 blocks) key block_sizes by the axis
        # -1 and write num_bits as tuples: both reach qcfg as ModelOpt reads them, at quantize
        # and at export
        model, data = models.seeded(models.MLP), mlp_data()
        ckpt = os.path.join(self.dir, "ckpt")
        save_checkpoint(model, ckpt)
        as_dict = {"algorithm": "max", "quant_cfg": [
            {"quantizer_name": "*", "enable": False},
            {"quantizer_name": "*weight_quantizer",
             "cfg": {"num_bits": 4, "block_sizes": {-1: 16}}}]}
        qtq.quantize(model, as_dict, forward_loop_of(data))
        w = model.up_proj.weight
        self.assertEqual(qtq.weight_amax(model)["up_proj.weight_quantizer"].numel(),
                         w.numel() // 16)
        ours = os.path.join(self.dir, "ours")
        qtq.export_hf_checkpoint(model, ours, mode="fake", device="cpu")
        recipe = os.path.join(self.dir, "int4.yaml")
        with open(recipe, "w") as f:
            f.write("algorithm: max\nquant_cfg:\n- quantizer_name: '*'\n  enable: false\n"
                    "- quantizer_name: '*weight_quantizer'\n  cfg:\n    num_bits: 4\n"
                    "    block_sizes:\n      -1: 16\n")
        ref = os.path.join(self.dir, "ref")
        qcfg("ptq", recipe, "--model", ckpt, "--out", ref, "--mode", "fake", "--device", "cpu",
             "--quiet")
        self.assertEqual(file_digest(os.path.join(ours, "model.safetensors")),
                         file_digest(os.path.join(ref, "model.safetensors")))
        with self.assertRaises(qtq.QcfgError):
            qtq.quantize(models.seeded(models.MLP), {"quant_cfg": [
                {"quantizer_name": "*", "cfg": {"num_bits": object()}}]})


class BadInputTest(unittest.TestCase):
    def test_unmatched_entry_is_reported(self):
        with tempfile.TemporaryDirectory() as d:
            recipe = os.path.join(d, "r.yaml")
            with open(recipe, "w") as f:
                f.write("quant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
                        "  - quantizer_name: '*Up_proj.weight_quantizer'\n"
                        "    cfg: {num_bits: e4m3, axis: null}\n")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                qtq.quantize(models.seeded(models.MLP), recipe, forward_loop_of(mlp_data()))
            msgs = [str(w.message) for w in caught]
            self.assertTrue(any(m.startswith(recipe + ":3:5:") and "QC007" in m for m in msgs),
                            msgs)

    def test_forward_loop_that_misses_the_quantizers(self):
        model = models.seeded(models.MLP)
        x = mlp_data()[0]
        with torch.no_grad():
            before = model(x)
        with self.assertRaises(QcfgError) as err:
            qtq.quantize(model, FP8, lambda m: None)
        self.assertIn("up_proj.input_quantizer", str(err.exception))
        self.assertIn("down_proj.input_quantizer", str(err.exception))
        self.assertIsNone(getattr(model, "_qcfg", None))
        with torch.no_grad():
            self.assertTrue(torch.equal(model(x), before))  # no hook left behind
        with self.assertRaisesRegex(QcfgError, "not quantized"):
            qtq.export_hf_checkpoint(model, os.path.join(tempfile.gettempdir(), "never"))

    def test_unmatched_entry_of_a_config_dict_is_reported(self):
        config = {"algorithm": "max", "quant_cfg": [
            {"quantizer_name": "*", "enable": False},
            {"quantizer_name": "*up_proj.weight_quantizer", "cfg": {"num_bits": [4, 3]}},
            {"quantizer_name": "*gate_proj.weight_quantizer", "cfg": {"num_bits": [4, 3]}}]}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = qtq.quantize(models.seeded(models.MLP), config, forward_loop_of(mlp_data()))
        msgs = [str(w.message) for w in caught if issubclass(w.category, qtq.QcfgWarning)]
        self.assertEqual(len(msgs), 1, msgs)
        self.assertTrue(msgs[0].startswith("<config dict as YAML>:"), msgs)
        self.assertIn("gate_proj", msgs[0])
        self.assertEqual(model._qcfg.unmatched, msgs)

    def test_forward_loop_that_misses_some_quantizers_names_only_those(self):
        # layer 1 (attention with its KV quantizers, MLP) is never run: those are named, the
        # ones layer 0 calibrated are not, and quantize keeps nothing and writes nothing
        model = models.seeded(models.TinyModel)
        ids = models.batches(1)[0]

        def layer0_only(m):
            m.layers[0](m.embed_tokens(ids))
        with tempfile.TemporaryDirectory() as private:
            saved, tempfile.tempdir = tempfile.tempdir, private  # where quantize's work dir goes
            try:
                with self.assertRaises(QcfgError) as err:
                    qtq.quantize(model, FP8, layer0_only)
            finally:
                tempfile.tempdir = saved
            self.assertEqual(os.listdir(private), [])
        text = str(err.exception)
        self.assertIn("layers.1.self_attn.k_bmm_quantizer", text)
        self.assertIn("layers.1.mlp.up_proj.input_quantizer", text)
        self.assertNotIn("layers.0.", text)
        self.assertIsNone(getattr(model, "_qcfg", None))

    def test_nan_in_the_forward_is_named(self):
        data = mlp_data(1)
        data[0][0, 0, 0] = float("nan")
        with self.assertRaisesRegex(QcfgError, "up_proj.input_quantizer: the calibrated amax is "
                                               "not finite"):
            qtq.quantize(models.seeded(models.MLP), FP8, forward_loop_of(data))

    def test_meta_device_is_refused(self):
        model = models.MLP().to("meta")
        with self.assertRaisesRegex(QcfgError, "meta device"):
            qtq.quantize(model, FP8, forward_loop_of(mlp_data()))

    def test_meta_buffer_is_refused(self):
        model = models.seeded(models.MLP)
        model.register_buffer("scale", torch.empty(3, device="meta"))
        with self.assertRaisesRegex(QcfgError, "'scale' is on the meta device"):
            qtq.quantize(model, FP8, forward_loop_of(mlp_data()))
        self.assertIsNone(getattr(model, "_qcfg", None))

    def test_accelerate_offload_hook_is_refused(self):
        # accelerate's cpu_offload / disk offload: an AlignDevicesHook with offload=True on the
        # module (inside a SequentialHook when several are attached)
        class AlignDevicesHook:
            offload = True

        class SequentialHook:
            hooks = [AlignDevicesHook()]
        for hook in (AlignDevicesHook(), SequentialHook()):
            model = models.seeded(models.MLP)
            model.down_proj._hf_hook = hook
            with self.assertRaisesRegex(QcfgError, "offloaded .accelerate offloads down_proj"):
                qtq.quantize(model, FP8, forward_loop_of(mlp_data()))
        model = models.seeded(models.MLP)
        model.down_proj._hf_hook = type("AlignDevicesHook", (), {"offload": False})()
        qtq.quantize(model, FP8, forward_loop_of(mlp_data()))  # on-device hooks are fine

    def test_offloaded_model_is_refused(self):
        model = models.seeded(models.MLP)
        model.hf_device_map = {"up_proj": "cpu", "down_proj": "disk"}
        with self.assertRaisesRegex(QcfgError, "offloaded"):
            qtq.quantize(model, FP8, forward_loop_of(mlp_data()))


def setUpModule():
    # The bundled recipes' generic exclusions (`*router*`, `*visual*`, ...) match nothing in these
    # models: QC007 warnings that only BadInputTest looks at.
    warnings.simplefilter("ignore", qtq.QcfgWarning)


if __name__ == "__main__":
    unittest.main()
