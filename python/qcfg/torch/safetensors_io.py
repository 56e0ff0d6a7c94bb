"""A minimal safetensors writer for the live weights of a model that has no checkpoint on disk
(a plain nn.Module), so the C++ runtime can export it. Format: 8-byte little-endian header
length, JSON header {name: {dtype, shape, data_offsets}}, then the tensors' bytes."""

import json
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
           torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8",
           torch.bool: "BOOL", torch.float64: "F64"}


def _bytes_of(t):
    t = t.detach().to("cpu").contiguous()
    if t.dim() == 0:
        t = t.reshape(1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def save_file(tensors, path):
    """Writes {name: tensor} to `path` (sorted by name, as safetensors does)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} cannot be written to safetensors here")
        data = _bytes_of(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_file(path):
    """{name: tensor} of a single safetensors file (for tests and checks)."""
    inverse = {v: k for k, v in _DTYPES.items()}
    inverse["F8_E4M3"] = torch.uint8
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.uint8) if end > begin \
            else torch.empty(0, dtype=torch.uint8)
        out[name] = raw.view(inverse[info["dtype"]]).reshape(info["shape"])
    return out
