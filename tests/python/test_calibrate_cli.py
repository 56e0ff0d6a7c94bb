"""`python -m qcfg calibrate`: argument checks, the calibration data reader, the progress bar,
and the clear exit when transformers is missing (the model-loading path needs transformers and
runs on the GPU machine: docs/python.md)."""

import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

from qcfg import calibrate_cli


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class ReadSamplesTest(unittest.TestCase):
    def test_text_and_jsonl(self):
        with tempfile.TemporaryDirectory() as d:
            txt = write(d, "c.txt", "first line\n\n  second  \nthird\n")
            self.assertEqual(calibrate_cli.read_samples(txt, 2), ["first line", "second"])
            jl = write(d, "c.jsonl", '{"text": "a"}\n\n{"text": "b", "id": 2}\n')
            self.assertEqual(calibrate_cli.read_samples(jl, 10), ["a", "b"])

    def test_bad_jsonl_is_located(self):
        with tempfile.TemporaryDirectory() as d:
            jl = write(d, "c.jsonl", '{"text": "a"}\n{"text": \n')
            with self.assertRaisesRegex(ValueError, r"c\.jsonl:2:\d+: not JSON"):
                calibrate_cli.read_samples(jl, 10)
            jl = write(d, "d.jsonl", '{"prompt": "a"}\n')
            with self.assertRaisesRegex(ValueError, r"d\.jsonl:1:1: expected an object"):
                calibrate_cli.read_samples(jl, 10)
            empty = write(d, "e.txt", "\n\n")
            with self.assertRaisesRegex(ValueError, "no calibration samples"):
                calibrate_cli.read_samples(empty, 10)


class ProgressTest(unittest.TestCase):
    def test_log_lines_when_not_a_terminal(self):
        out = io.StringIO()
        bar = calibrate_cli.ProgressBar(20, quiet=False, stream=out)
        for i in range(1, 21):
            bar.update(i)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 11)  # 1/20 (tenth 0), then each tenth up to 20/20
        self.assertTrue(lines[-1].startswith("calibrating: 20/20 batches"))
        quiet = io.StringIO()
        calibrate_cli.ProgressBar(5, quiet=True, stream=quiet).update(5)
        self.assertEqual(quiet.getvalue(), "")


HERE = os.path.dirname(os.path.abspath(__file__))


def encode_like_stub(texts, max_length):
    """The stand-in tokenizer's ids (stub_transformers), without importing it as transformers."""
    import importlib.util as iu
    spec = iu.spec_from_file_location(
        "stub_transformers_copy", os.path.join(HERE, "stub_transformers", "transformers",
                                               "__init__.py"))
    mod = iu.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.encode(texts, max_length)["input_ids"]
STUB = os.path.join(HERE, "stub_transformers")
FP8 = os.path.join(os.path.dirname(os.path.dirname(HERE)), "recipes", "ptq", "fp8.yaml")


class CommandTest(unittest.TestCase):
    def run_cli(self, *args, env=None):
        return subprocess.run([sys.executable, "-m", "qcfg", "calibrate"] + list(args),
                              capture_output=True, text=True, env=env)

    def test_end_to_end_with_a_stand_in_for_transformers(self):
        import json

        import torch

        sys.path.insert(0, HERE)
        import models
        import qcfg.torch as qtq
        from qcfg.torch import safetensors_io
        from test_torch_quantize import TINY_CONFIG

        texts = [f"calibration sample {i}: " + "abcdefghij" * (i + 1) for i in range(5)]
        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, "tiny")
            os.makedirs(ckpt)
            model = models.seeded(models.TinyModel)
            safetensors_io.save_file(model.state_dict(), os.path.join(ckpt, "model.safetensors"))
            with open(os.path.join(ckpt, "config.json"), "w") as f:
                json.dump(TINY_CONFIG, f)
            data = write(d, "calib.txt", "\n".join(texts) + "\n")
            env = dict(os.environ, PYTHONPATH=STUB + os.pathsep + os.environ["PYTHONPATH"])
            amax_file = os.path.join(d, "amax.json")
            p = self.run_cli("--model", ckpt, "--recipe", FP8, "--data", data, "--batch-size",
                             "2", "--seq-len", "24", "--amax-out", amax_file, "--out",
                             os.path.join(d, "out"), env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("calibrating: 3/3 batches", p.stderr)
            self.assertIn("fp8.yaml:17:7: warning: entry '*router*' matches no quantizer", p.stderr)
            self.assertTrue(os.path.exists(os.path.join(d, "out", "hf_quant_config.json")))
            with open(amax_file) as f:
                got = json.load(f)
            # the same batches through quantize directly: the file holds exactly its amax
            batches = [encode_like_stub(texts[i:i + 2], 24) for i in range(0, 5, 2)]
            direct = models.seeded(models.TinyModel)
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore", qtq.QcfgWarning)
                qtq.quantize(direct, FP8, lambda m: [m(b) for b in batches])
            want = {k: float(v) for k, v in qtq.activation_amax(direct).items()}
            self.assertEqual(got, want)

    def test_usage_errors(self):
        p = self.run_cli("--model", "m", "--recipe", "r")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--data", p.stderr)
        p = self.run_cli("--model", "m", "--recipe", "r", "--data", "d", "--samples", "0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--samples must be at least 1", p.stderr)

    @unittest.skipIf(importlib.util.find_spec("transformers") is not None,
                     "transformers is installed")
    def test_without_transformers_says_so(self):
        p = self.run_cli("--model", "m", "--recipe", "r", "--data", "d")
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs torch and transformers", p.stderr)

    def test_other_commands_go_to_the_executable(self):
        p = subprocess.run([sys.executable, "-m", "qcfg", "--help"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("lint", p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
