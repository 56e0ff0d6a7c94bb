"""The case examples/ptq_llama.py is checked on (tests/python/test_example.py), shared with the
recorder of its ModelOpt golden (tools/modelopt/record_example_golden.py): a tiny Llama-shaped
model (models.TinyModel, seeded) saved as a checkpoint, the calibration text, the example's
command line, and the digest of an exported checkpoint (tensors by sha256 of their bytes, and
the two quantization configs without the producer's version), as tests/modelopt/check_goldens.py
takes them."""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "modelopt"))
import check_goldens  # noqa: E402
import models  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "ptq_llama.py")
DATA = os.path.join(HERE, "example", "calib.txt")
RECIPES = {name: os.path.join(HERE, "example", name + ".yaml")
           for name in ("w8a8_fp8", "w4a4_nvfp4")}
GOLDEN = os.path.join(HERE, "example", "golden.json")
CONFIG = {"architectures": ["TinyForCausalLM"], "model_type": "qcfg_tiny", "vocab_size": 100,
          "torch_dtype": "bfloat16"}
SAMPLES, SEQ_LEN, BATCH = 5, 48, 2


def write_checkpoint(directory):
    """models.TinyModel seeded, as model.safetensors + config.json."""
    from qcfg.torch import safetensors_io

    os.makedirs(directory)
    model = models.seeded(models.TinyModel)
    safetensors_io.save_file(dict(model.state_dict()),
                             os.path.join(directory, "model.safetensors"))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(CONFIG, f)
    return directory


def example_args(checkpoint, recipe, out):
    return ["--model", checkpoint, "--recipe", RECIPES[recipe], "--out", out, "--data", DATA,
            "--samples", str(SAMPLES), "--seq-len", str(SEQ_LEN), "--batch-size", str(BATCH),
            "--device", "cpu"]


def stub_tokenizer_encode():
    """The stand-in tokenizer's encode (stub_transformers), without importing it as
    transformers."""
    spec = importlib.util.spec_from_file_location(
        "stub_transformers_for_example", os.path.join(HERE, "stub_transformers", "transformers",
                                                      "__init__.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.encode


def calibration_batches():
    """The batches the example's forward loop gives the model with the stand-in tokenizer."""
    with open(DATA, encoding="utf-8") as f:
        texts = [line.strip() for line in f if line.strip()][:SAMPLES]
    encode = stub_tokenizer_encode()
    return [encode(texts[i:i + BATCH], SEQ_LEN) for i in range(0, len(texts), BATCH)]


def digest(out):
    """{tensors, hf_quant_config.json, quantization_config} of an exported checkpoint."""
    result = {"tensors": check_goldens.dir_digest(out)}
    with open(os.path.join(out, "hf_quant_config.json")) as f:
        result["hf_quant_config.json"] = check_goldens.strip_version(json.load(f), [])
    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f).get("quantization_config")
    result["quantization_config"] = check_goldens.strip_version(config, [])
    return result
