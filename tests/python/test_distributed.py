"""qcfg.torch.quantize under torch.distributed (gloo, CPU ranks): each rank calibrates on its
share of the batches and the amax are MAX-reduced, so every rank holds the amax of one process
that saw all batches, bit for bit; and the exports of rank 0 equal the one-process export."""

import json
import os
import sys
import tempfile
import unittest

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402
import qcfg.torch as qtq  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NVFP4 = os.path.join(ROOT, "recipes", "ptq", "nvfp4_w4a4.yaml")  # per-tensor amax + KV
FP8 = os.path.join(ROOT, "recipes", "ptq", "fp8.yaml")
WORLD = 2


def batches():
    g = torch.Generator().manual_seed(11)
    # batch 3 is far larger than the others, so the max comes from one rank only
    out = [torch.randn(2, 8, 64, generator=g).to(torch.bfloat16) for _ in range(5)]
    out[3] = out[3] * 9
    return out


def amax_json(model):
    return {k: v.float().reshape(-1).tolist() for k, v in qtq.activation_amax(model).items()}


def rank_main(rank, init_file, recipe, out_dir):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=WORLD)
    try:
        model = models.seeded(models.MLP)
        mine = batches()[rank::WORLD]

        def loop(m):
            for b in mine:
                m(b)
        qtq.quantize(model, recipe, loop)
        with open(os.path.join(out_dir, f"amax-{rank}.json"), "w") as f:
            json.dump(amax_json(model), f)
    finally:
        dist.destroy_process_group()


class DistributedCalibrationTest(unittest.TestCase):
    def check_recipe(self, recipe):
        with tempfile.TemporaryDirectory(prefix="qcfg_dist_") as d:
            mp.spawn(rank_main, args=(os.path.join(d, "init"), recipe, d), nprocs=WORLD)
            ranks = [json.load(open(os.path.join(d, f"amax-{r}.json"))) for r in range(WORLD)]
        single = models.seeded(models.MLP)

        def loop(m):
            for b in batches():
                m(b)
        qtq.quantize(single, recipe, loop)
        want = amax_json(single)
        self.assertTrue(want)
        for r, got in enumerate(ranks):
            self.assertEqual(got, want, f"rank {r}")
        # not trivially equal: the ranks' own shares give other amax
        alone = models.seeded(models.MLP)
        qtq.quantize(alone, recipe, lambda m: [m(b) for b in batches()[0::WORLD]])
        self.assertNotEqual(amax_json(alone), want)

    def test_fp8_amax_reduced_with_max(self):
        self.check_recipe(FP8)

    def test_nvfp4_amax_reduced_with_max(self):
        self.check_recipe(NVFP4)


if __name__ == "__main__":
    unittest.main()
