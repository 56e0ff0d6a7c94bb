"""examples/ptq_llama.py end to end on the CPU (Debian's torch, no transformers: the stand-in
Auto classes of tests/python/stub_transformers load models.TinyModel): the example calibrates and
exports, and the checkpoint it writes must equal ModelOpt 0.47's export of the same model with
the same batches (example/golden.json, recorded by tools/modelopt/record_example_golden.py):
every tensor's bytes, dtype and shape, hf_quant_config.json and config.json's
quantization_config (producer version aside)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import example_case
from example_case import HERE

STUB = os.path.join(HERE, "stub_transformers")


def run_example(args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([STUB] + [p for p in [env.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, example_case.EXAMPLE] + args, capture_output=True,
                          text=True, env=env)


class ExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(example_case.GOLDEN) as f:
            cls.golden = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory(prefix="qcfg-example-")
        cls.checkpoint = example_case.write_checkpoint(os.path.join(cls.tmp.name, "model"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_recipe(self, recipe):
        out = os.path.join(self.tmp.name, recipe)
        p = run_example(example_case.example_args(self.checkpoint, recipe, out))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(f"exported {out}", p.stdout)
        ours, golden = example_case.digest(out), self.golden["runs"][recipe]
        for part in ("hf_quant_config.json", "quantization_config"):
            self.assertEqual(ours[part], golden[part], f"{recipe}: {part} differs from ModelOpt's")
        self.assertEqual(sorted(ours["tensors"]), sorted(golden["tensors"]),
                         f"{recipe}: tensor names differ from ModelOpt's export")
        differ = [k for k in golden["tensors"] if ours["tensors"][k] != golden["tensors"][k]]
        self.assertEqual(differ, [], f"{recipe}: tensors differ from ModelOpt's export")
        # the golden quantizes something: input scales from the calibration are in it
        self.assertIn("layers.0.mlp.up_proj.input_scale", golden["tensors"])

    def test_fp8_w8a8_equals_modelopt(self):
        self.check_recipe("w8a8_fp8")

    def test_nvfp4_w4a4_equals_modelopt(self):
        self.check_recipe("w4a4_nvfp4")

    def test_bad_recipe_writes_nothing(self):
        out = os.path.join(self.tmp.name, "never")
        args = example_case.example_args(self.checkpoint, "w8a8_fp8", out)
        args[args.index("--recipe") + 1] = os.path.join(self.tmp.name, "missing.yaml")
        p = run_example(args)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no such recipe file", p.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
