"""qcfg.torch's GPTQ (python/qcfg/torch/gptq.py) on a plain nn.Module on the CPU.

gptq_golden.json is ModelOpt 0.47's own GPTQ of the same case (tests/python/gptq_case.py), and
its layerwise GPTQ of two copies as decoder layers, recorded on the CPU with torch 2.11 by
tools/modelopt/record_gptq_golden.py; qcfg.torch must give
the same bytes: every weight after GPTQ, every amax, every folded weight. Also checked: the
numerics' invariants (the Hessian formula, the update with an identity inverse, dead inputs),
the export through `qcfg ptq --weight-amax` and the errors."""

import json
import math
import os
import subprocess
import sys
import tempfile
import types
import unittest

import torch

sys.path.insert(0, os.path.dirname(__file__))
import gptq_case  # noqa: E402
import models  # noqa: E402
import qcfg.torch as qtq  # noqa: E402
from qcfg import QcfgError, qcfg_executable  # noqa: E402
from qcfg.torch import gptq, safetensors_io  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gptq_golden.json")


def qcfg_result():
    model = gptq_case.model()
    qtq.quantize(model, gptq_case.CONFIG, gptq_case.forward_loop)
    return result_of(model)


def result_of(model):
    """Digests of a model quantized by qcfg.torch: weights, amax, then weights after fold."""
    amax = {}
    for q in model._qcfg.quantizers:
        for s in q.stages:
            if s.enabled and s.amax is not None:
                amax[f"{q.name}.amax"] = gptq_case.digest(s.amax.float().reshape(-1))
                if s.nvfp4_static:
                    g = s.global_amax if s.global_amax is not None else float(s.amax.max())
                    amax[f"{q.name}.global_amax"] = gptq_case.digest(
                        torch.tensor([g], dtype=torch.float32))
                break
    weights = {k: gptq_case.digest(p) for k, p in model.named_parameters()}
    qtq.fold_weight(model)
    return {"weights": weights, "amax": amax,
            "folded": {k: gptq_case.digest(p) for k, p in model.named_parameters()},
            "model": model}


class GptqAgainstModelOpt(unittest.TestCase):
    def test_same_bytes_as_modelopt(self):
        with open(GOLDEN) as f:
            golden = json.load(f)
        ours = qcfg_result()
        for part in ("amax", "weights", "folded"):
            self.assertEqual(ours[part], golden[part], f"{part} differ from ModelOpt's "
                             f"(recorded with torch {golden['torch']})")

    def test_gptq_changes_every_weight(self):
        before = gptq_case.model()
        model = qcfg_result()["model"]
        for name in ("up_proj", "down_proj"):
            w0 = getattr(before, name).weight
            self.assertFalse(torch.equal(getattr(model, name).weight, w0), name)


class Numerics(unittest.TestCase):
    def test_hessian_is_the_running_mean_of_2xxT(self):
        xs = [gptq_case.pseudo(6 * 16, 3 + i).reshape(2, 3, 16) for i in range(3)]
        h, n = torch.zeros(16, 16), 0
        for x in xs:
            h, n = gptq.update_hessian(x, h, n)
        flat = torch.cat([x.reshape(-1, 16) for x in xs]).double()
        self.assertEqual(n, 18)
        self.assertTrue(torch.allclose(h.double(), 2 * flat.t() @ flat / 18, atol=1e-6))

    def test_identity_inverse_quantizes_columns_independently(self):
        w = gptq_case.pseudo(8 * 32, 5).reshape(8, 32)
        q = gptq_case.pseudo(8 * 32, 6).reshape(8, 32)
        weight = w.clone()
        gptq.blockwise_update(weight, torch.eye(32), 16, lambda m: q)
        self.assertTrue(torch.equal(weight, q))

    def test_dead_input_is_decoupled(self):
        w = gptq_case.pseudo(4 * 8, 7).reshape(4, 8)
        w[:, 3] = 0
        x = gptq_case.pseudo(64 * 8, 8).reshape(64, 8)
        h, _ = gptq.update_hessian(x, torch.zeros(8, 8), 0)
        u = gptq.hessian_inverse(h, w, 0.01)
        row, column = u[3].clone(), u[:, 3].clone()
        row[3] = column[3] = 0
        self.assertEqual(float(row.abs().sum() + column.abs().sum()), 0.0)
        self.assertGreater(float(u[3, 3]), 0.0)

    def test_config(self):
        self.assertIsNone(gptq.config_of("max"))
        c = gptq.config_of({"method": "gptq", "layerwise": {"enable": True}})
        self.assertEqual((c.perc_damp, c.block_size, c.layerwise, c.qdq_from_prev),
                         (0.01, 128, True, True))
        with self.assertRaisesRegex(QcfgError, "fused"):
            gptq.config_of({"method": "gptq", "fused": True})
        self.assertTrue(math.isclose(gptq.config_of({"method": "gptq", "perc_damp": 0.1})
                                     .perc_damp, 0.1))


class Export(unittest.TestCase):
    def quantized(self):
        model = gptq_case.model()
        qtq.quantize(model, gptq_case.CONFIG, gptq_case.forward_loop)
        return model

    def test_fake_export_equals_fold_weight(self):
        model = self.quantized()
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "fake")
            qtq.export_hf_checkpoint(model, out, mode="fake", device="cpu")
            got = safetensors_io.load_file(os.path.join(out, "model.safetensors"))
        qtq.fold_weight(model)
        for name, p in model.named_parameters():
            self.assertTrue(torch.equal(got[name].view(torch.int16), p.detach().view(torch.int16)),
                            name)

    def test_export_scales_come_from_the_pre_gptq_amax(self):
        model = self.quantized()
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "export")
            qtq.export_hf_checkpoint(model, out, device="cpu")
            with open(os.path.join(out, "qcfg_runtime.json")) as f:
                report = json.load(f)
        for q in model._qcfg.by_role("weight"):
            first = report["weight_amax"][q.name][0]
            self.assertEqual(first["amax"], q.stages[0].amax.reshape(-1).tolist(), q.name)

    def ptq(self, weight_amax=None):
        """`qcfg ptq` of the GPTQ case on its own checkpoint, with --weight-amax `weight_amax`."""
        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, "ckpt")
            os.mkdir(ckpt)
            safetensors_io.save_file(dict(gptq_case.model().state_dict()),
                                     os.path.join(ckpt, "model.safetensors"))
            args = [qcfg_executable(), "ptq", gptq_case.CONFIG, "--model", ckpt, "--out",
                    os.path.join(d, "out"), "--device", "cpu", "--quiet"]
            if weight_amax is not None:
                path = os.path.join(d, "weight_amax.json")
                with open(path, "w") as f:
                    json.dump(weight_amax, f)
                args += ["--weight-amax", path]
            done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            return done, os.path.exists(os.path.join(d, "out"))

    def test_qcfg_ptq_refuses_gptq_without_weight_amax(self):
        done, written = self.ptq()
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertFalse(written)
        self.assertIn("calibration algorithm 'gptq' is not run by qcfg", done.stderr)
        self.assertIn("qcfg.torch.quantize", done.stderr)

    def test_weight_amax_of_the_wrong_size_or_name_is_refused(self):
        done, written = self.ptq({"up_proj.weight_quantizer": {"amax": [0.5] * 3}})
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("--weight-amax gives 3 amax values", done.stderr)
        self.assertFalse(written)
        done, written = self.ptq({"up_proj.weight_quantizr": {"amax": [0.5]}})
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("names no quantized weight", done.stderr)
        self.assertFalse(written)
        done, _ = self.ptq({"up_proj.weight_quantizer": {"amax": [-1.0]}})
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("finite non-negative", done.stderr)


class Layerwise(unittest.TestCase):
    """Layer by layer (ModelOpt's layerwise_calibrate): layer 1 is calibrated on what layer 0,
    quantized and updated, gives it, which is what the quantized model computes afterwards;
    without layerwise, on what the unquantized model gives."""

    def setUp(self):
        self.saved = sys.modules.get("transformers")
        module = self.saved or types.ModuleType("transformers")
        self.had_base = hasattr(module, "PreTrainedModel")
        if not self.had_base:  # is_hf_model: an instance of transformers.PreTrainedModel
            module.PreTrainedModel = type("PreTrainedModel", (torch.nn.Module,), {})
        sys.modules["transformers"] = module
        self.module = module

    def tearDown(self):
        if not self.had_base:
            del self.module.PreTrainedModel
        if self.saved is None:
            del sys.modules["transformers"]

    def quantized(self, layerwise):
        model = self.hf_like()
        with tempfile.TemporaryDirectory() as d:
            path = gptq_case.layerwise_config(d) if layerwise else gptq_case.CONFIG
            qtq.quantize(model, path, gptq_case.forward_loop)
        return model

    def hf_like(self):
        return gptq_case.hf_like(self.module.PreTrainedModel)

    def layer1_input_max(self, model):
        seen = []
        h = model.model.layers[1].register_forward_pre_hook(
            lambda m, a: seen.append(a[0].detach().abs().amax().float()))
        gptq_case.forward_loop(model)
        h.remove()
        return float(torch.stack(seen).max())

    def test_next_layer_sees_the_quantized_layer(self):
        name = "model.layers.1.up_proj.input_quantizer"
        model = self.quantized(layerwise=True)
        quantized = self.layer1_input_max(model)
        self.assertEqual(float(qtq.activation_amax(model)[name]), quantized)
        flat = float(qtq.activation_amax(self.quantized(layerwise=False))[name])
        self.assertEqual(flat, self.layer1_input_max(self.hf_like()))
        self.assertNotEqual(flat, quantized)

    def test_same_bytes_as_modelopt(self):
        with open(GOLDEN) as f:
            golden = json.load(f)["layerwise"]
        ours = result_of(self.quantized(layerwise=True))
        for part in ("amax", "weights", "folded"):
            self.assertEqual(ours[part], golden[part], f"{part} differ from ModelOpt's")


class Errors(unittest.TestCase):
    def test_needs_a_forward_loop(self):
        with self.assertRaisesRegex(QcfgError, "forward_loop"):
            qtq.quantize(gptq_case.model(), gptq_case.CONFIG)

    def test_layerwise_needs_decoder_layers(self):
        with open(gptq_case.CONFIG) as f:
            text = f.read() + "  layerwise: {enable: true}\n"
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "layerwise.yaml")
            with open(path, "w") as f:
                f.write(text)
            with self.assertRaisesRegex(QcfgError, "decoder layers"):
                qtq.quantize(models.MLP(), path, gptq_case.forward_loop)


if __name__ == "__main__":
    unittest.main()
