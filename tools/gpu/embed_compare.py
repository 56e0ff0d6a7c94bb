# Sentence embeddings of all-MiniLM-L6-v2 (fp16 copy) versus qcfg fake-quant outputs, on the GPU.
import sys, torch
from sentence_transformers import SentenceTransformer
sentences = [
    "The quick brown fox jumps over the lazy dog.",
    "Quantization maps weights to a small set of values.",
    "A Hadamard rotation spreads outliers across a block.",
    "The weather in Paris is mild in spring.",
    "He sold his car to pay for university.",
    "Transformers use attention to mix information between tokens.",
    "NVFP4 stores 4-bit values with an FP8 scale per block of sixteen.",
    "Please restart the router and try again.",
]
def embed(path):
    m = SentenceTransformer(path, device="cuda")
    return m.encode(sentences, convert_to_tensor=True, normalize_embeddings=True).float()
ref = embed(sys.argv[1])
for path in sys.argv[2:]:
    e = embed(path)
    cos = (ref * e).sum(-1)
    print(f"{path}: cosine mean {cos.mean().item():.5f} min {cos.min().item():.5f}")
