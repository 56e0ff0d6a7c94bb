"""qcfg.torch.attention on a transformers-shaped attention module: the functions of its Python
module are swapped once while taps are on (shared by every tapped module), each call taps the
calling module's q/k/v only, and everything is put back when the last tap comes off."""
import sys
import types
import unittest

import torch
import torch.nn as nn

from qcfg.torch import attention

# A modeling file as transformers writes them: the attention module calls its implementation's
# entry of ALL_ATTENTION_FUNCTIONS, or the file's own eager_attention_forward, with itself first.
MODELING = '''
import torch
import torch.nn as nn

calls = []


def eager_attention_forward(module, query, key, value, scale=1.0):
    calls.append(("eager", module))
    return (query * key).sum(-1, keepdim=True) * value * scale


def sdpa_attention_forward(module, query, key, value, scale=1.0):
    calls.append(("sdpa", module))
    return (query * key).sum(-1, keepdim=True) * value * scale


ALL_ATTENTION_FUNCTIONS = {"sdpa": sdpa_attention_forward}


class Config:
    def __init__(self, impl):
        self._attn_implementation = impl


class FakeAttention(nn.Module):
    def __init__(self, impl):
        super().__init__()
        self.config = Config(impl)
        self.proj = nn.Linear(4, 12, bias=False)

    def forward(self, x, output_attentions=False):
        q, k, v = self.proj(x).chunk(3, dim=-1)
        impl = self.config._attn_implementation
        fn = eager_attention_forward
        if impl != "eager" and not (impl == "sdpa" and output_attentions):
            fn = ALL_ATTENTION_FUNCTIONS[impl]
        return fn(self, q, k + 1, v, scale=2.0)
'''


def fake_modeling():
    mod = types.ModuleType("qcfg_test_fake_modeling")
    sys.modules[mod.__name__] = mod
    exec(compile(MODELING, mod.__name__, "exec"), mod.__dict__)
    return mod


class Recorder:
    def __init__(self):
        self.seen = []

    def __call__(self, q, k, v):
        self.seen.append((q.clone(), k.clone(), v.clone()))
        return q, k, v


class HfAttentionTaps(unittest.TestCase):
    def setUp(self):
        self.m = fake_modeling()
        torch.manual_seed(0)
        self.x = torch.randn(2, 3, 4)
        self.eager = self.m.eager_attention_forward
        self.sdpa = self.m.ALL_ATTENTION_FUNCTIONS["sdpa"]

    def tearDown(self):
        sys.modules.pop(self.m.__name__, None)

    def reference_qkv(self, module):
        q, k, v = module.proj(self.x).chunk(3, dim=-1)
        return q, k + 1, v

    def test_each_module_taps_its_own_call_and_hooks_none(self):
        a, b, c = (self.m.FakeAttention("sdpa") for _ in range(3))
        ra, rb = Recorder(), Recorder()
        handles = attention.install(a, ra) + attention.install(b, rb)
        # no hook on the modules: their calls stay on nn.Module's fast path
        for mod in (a, b):
            self.assertFalse(mod._forward_pre_hooks or mod._forward_hooks)
        with torch.no_grad():
            ya, yb, yc = a(self.x), b(self.x), c(self.x)
        self.assertEqual(len(ra.seen), 1)
        self.assertEqual(len(rb.seen), 1)
        for seen, mod in ((ra.seen[0], a), (rb.seen[0], b)):
            for got, want in zip(seen, self.reference_qkv(mod)):
                self.assertTrue(torch.equal(got, want))
        self.assertEqual([kind for kind, _ in self.m.calls], ["sdpa"] * 3)
        with torch.no_grad():  # the outputs are the original function's
            self.assertTrue(torch.equal(yc, self.sdpa(c, *self.reference_qkv(c), scale=2.0)))
        for h in handles:
            h.remove()
        self.assertIs(self.m.ALL_ATTENTION_FUNCTIONS["sdpa"], self.sdpa)
        self.assertIs(self.m.eager_attention_forward, self.eager)

    def test_eager_when_attention_weights_are_asked_for(self):
        a = self.m.FakeAttention("sdpa")
        r = Recorder()
        handles = attention.install(a, r)
        with torch.no_grad():
            a(self.x, output_attentions=True)
        self.assertEqual([kind for kind, _ in self.m.calls], ["eager"])
        self.assertEqual(len(r.seen), 1)
        for h in handles:
            h.remove()

    def test_functions_come_back_only_with_the_last_tap(self):
        a, b = self.m.FakeAttention("sdpa"), self.m.FakeAttention("sdpa")
        ra, rb = Recorder(), Recorder()
        ha, hb = attention.install(a, ra), attention.install(b, rb)
        for h in ha:
            h.remove()
        self.assertIsNot(self.m.ALL_ATTENTION_FUNCTIONS["sdpa"], self.sdpa)
        with torch.no_grad():
            a(self.x)
            b(self.x)
        self.assertEqual((len(ra.seen), len(rb.seen)), (0, 1))
        for h in hb:
            h.remove()
        self.assertIs(self.m.ALL_ATTENTION_FUNCTIONS["sdpa"], self.sdpa)
        self.assertIs(self.m.eager_attention_forward, self.eager)

    def test_a_wrapper_set_over_ours_is_left_in_place(self):
        a = self.m.FakeAttention("sdpa")
        r = Recorder()
        handles = attention.install(a, r)
        ours = self.m.ALL_ATTENTION_FUNCTIONS["sdpa"]

        def theirs(*args, **kwargs):
            return ours(*args, **kwargs)
        self.m.ALL_ATTENTION_FUNCTIONS["sdpa"] = theirs
        for h in handles:
            h.remove()
        self.assertIs(self.m.ALL_ATTENTION_FUNCTIONS["sdpa"], theirs)
        with torch.no_grad():  # ours, still under theirs, taps nothing any more
            a(self.x)
        self.assertEqual(r.seen, [])

    def test_eager_implementation_without_an_eager_function_is_refused(self):
        a = self.m.FakeAttention("eager")
        del self.m.eager_attention_forward
        with self.assertRaisesRegex(ValueError, "eager_attention_forward"):
            attention.install(a, Recorder())


if __name__ == "__main__":
    unittest.main()
