"""Generate extra randomized conformance vectors with the spec's plain-Python reference.

Usage: python3 gen_vectors.py /work/shared/spec > ref_vectors.txt
Format, one case per line:  <kind> <params...> ; <x as fp32 hex bits> ; <expected y as fp32 hex bits>
Kinds: int <bits> <unsigned> <narrow> <amax>; fp8 <amax>; nvfp4 <G>; nvfp4cuda <G>;
nvfp4static <block_amax> <G> <norm>; mxfp4 ; hadamard <n>. amax/G are fp32 hex bits too.
"""
import random
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/work/shared/spec")
import numerics_ref as R  # noqa: E402

rng = random.Random(20240611)


def h(v):
    return "%08x" % R.f32_bits(R.f32(v))


def value():
    kind = rng.random()
    if kind < 0.1:
        return 0.0
    if kind < 0.2:  # values on/near E2M1/INT grid ties after scaling
        return R.f32(rng.choice([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 0.5, 1.5]) * rng.choice([1, -1]))
    mag = 10.0 ** rng.uniform(-4, 3)
    return R.f32(mag * rng.choice([1, -1]))


def row(n):
    return [value() for _ in range(n)]


# ModelOpt 0.47's Triton NVFP4 kernels differ from the earlier snapshot that numerics_ref.py was
# written from (docs/numerics.md, "ModelOpt 0.47 behaviours"; 0.47 wins): the dynamic global
# scale is G x f32(1/2688), and the sign is where(x >= 0, r, 0 - r), so every zero is +0.
def plus_zero(ys):
    return [0.0 if v == 0 else v for v in ys]


def nvfp4_dynamic_block_triton_047(block, global_amax):
    gs = R.f32(R.f32(global_amax) * R.f32(1.0 / 2688.0))
    if not gs > 0:
        gs = R.f32(1e-12)
    bmax = max(abs(R.f32(x)) for x in block)
    sr = min(R.f32(bmax / R.f32(6.0 * gs)), 448.0)
    s = R.f32(R.e4m3(sr) * gs)
    if not s >= R.f32(1e-5):
        s = 1.0
    out = []
    for x in block:
        x = R.f32(x)
        y = R.f32(R.E2M1_VALUES[R.e2m1_index_rne(R.f32(abs(x) / s))] * s)
        out.append(y if x >= 0 else R.f32(0.0 - y))
    return out


def emit(kind, params, xs, ys):
    print(kind, *params, ";", *[h(v) for v in xs], ";", *[h(v) for v in ys])


for _ in range(60):
    xs = row(12)
    bits = rng.choice([2, 3, 4, 8])
    unsigned = rng.random() < 0.2
    narrow = rng.random() < 0.3
    if unsigned:
        xs = [abs(v) for v in xs]
    amax = R.f32(max(abs(v) for v in xs) * rng.choice([1.0, 0.5, 1.3]))
    emit("int", [bits, int(unsigned), int(narrow), h(amax)], xs, R.int_fake_quant(xs, amax, bits, unsigned, narrow))

for _ in range(40):
    xs = row(12)
    amax = R.f32(max(abs(v) for v in xs) * rng.choice([1.0, 0.25, 2.0]))
    emit("fp8", [h(amax)], xs, R.fp8_fake_quant(xs, amax))

for _ in range(40):
    xs = row(16)
    G = R.f32(max(abs(v) for v in xs) * rng.choice([1.0, 3.0, 0.5, 100.0]))
    emit("nvfp4", [h(G)], xs, nvfp4_dynamic_block_triton_047(xs, G))
    emit("nvfp4cuda", [h(G)], xs, R.nvfp4_dynamic_block_cuda(xs, G)[0])
    bm = R.f32(max(abs(v) for v in xs) * rng.choice([1.0, 1.5]))
    norm = rng.choice([448.0, 256.0])
    emit("nvfp4static", [h(bm), h(G), int(norm)], xs,
         plus_zero(R.nvfp4_static_block(xs, bm, G, norm)[0]))

for _ in range(30):
    xs = row(32)
    emit("mxfp4", [], xs, R.mxfp4_fake_block(xs)[0])

for n in [2, 4, 8, 16, 32, 64, 128, 256]:
    for _ in range(3):
        xs = [R.f32(rng.uniform(-4, 4)) for _ in range(n)]
        emit("hadamard", [n], xs, R.hadamard(xs))
