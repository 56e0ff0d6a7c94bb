"""Small plain nn.Module models for the package tests (no transformers)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def _eager_sdpa(q, k, v, is_causal=False):
    scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
    if is_causal:
        s = q.shape[-2]
        mask = torch.ones(s, s, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v


# PyTorch 1.13 (Debian) has no F.scaled_dot_product_attention; the module binds the name itself,
# which is where qcfg's KV hooks look for it on a plain nn.Module.
scaled_dot_product_attention = getattr(F, "scaled_dot_product_attention", _eager_sdpa)


class MLP(nn.Module):
    def __init__(self, dim=64, hidden=128, dtype=torch.bfloat16):
        super().__init__()
        self.up_proj = nn.Linear(dim, hidden, bias=False, dtype=dtype)
        self.down_proj = nn.Linear(hidden, dim, bias=False, dtype=dtype)

    def forward(self, x):
        return self.down_proj(F.relu(self.up_proj(x)))


class SharedInput(nn.Module):
    """Three linears reading one input, as q/k/v_proj do, with an in-place change of that input
    between the first and the second read (what calibration's shared observations must notice)."""

    def __init__(self, dim=64, dtype=torch.bfloat16):
        super().__init__()
        self.a = nn.Linear(dim, dim, bias=False, dtype=dtype)
        self.b = nn.Linear(dim, dim, bias=False, dtype=dtype)
        self.c = nn.Linear(dim, dim, bias=False, dtype=dtype)

    def forward(self, x):
        x = x.clone()
        ya = self.a(x)
        x.mul_(3)
        return ya + self.b(x) + self.c(x)


class TinyAttention(nn.Module):
    """Self-attention through F.scaled_dot_product_attention (what the KV quantizers observe)."""

    def __init__(self, dim=64, heads=4, dtype=torch.bfloat16):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim, bias=False, dtype=dtype)
        self.k_proj = nn.Linear(dim, dim, bias=False, dtype=dtype)
        self.v_proj = nn.Linear(dim, dim, bias=False, dtype=dtype)
        self.o_proj = nn.Linear(dim, dim, bias=False, dtype=dtype)

    def split(self, t):
        b, s, d = t.shape
        return t.view(b, s, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x):
        q, k, v = self.split(self.q_proj(x)), self.split(self.k_proj(x)), self.split(self.v_proj(x))
        # a key transform after the projection (as a rotary embedding is), so that the key the
        # attention kernel sees is not the k_proj output
        k = k * 1.5
        y = scaled_dot_product_attention(q, k, v, is_causal=True)
        b, h, s, e = y.shape
        return self.o_proj(y.transpose(1, 2).reshape(b, s, h * e))


class Block(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.self_attn = TinyAttention(dim)
        self.mlp = MLP(dim)

    def forward(self, x):
        x = x + self.self_attn(x)
        return x + self.mlp(x)


class TinyModel(nn.Module):
    def __init__(self, dim=64, layers=2, vocab=100):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim, dtype=torch.bfloat16)
        self.layers = nn.ModuleList([Block(dim) for _ in range(layers)])
        self.lm_head = nn.Linear(dim, vocab, bias=False, dtype=torch.bfloat16)

    def forward(self, ids):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(x)


def seeded(model_cls, seed=0, **kw):
    torch.manual_seed(seed)
    m = model_cls(**kw)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.05)
    return m.eval()


def batches(n=3, vocab=100, seed=1234):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (2, 16), generator=g) for _ in range(n)]
