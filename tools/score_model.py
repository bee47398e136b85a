#!/usr/bin/env python3
"""Score a VaeCf model folder with plain numpy: no VaeCf, no safetensors package, no framework.

Reads model.safetensors (parsed here: an 8-byte little-endian header length, a JSON header, then
raw little-endian float32 data) and config.json, folds in a history of original item IDs and prints
the top k, as `vaecf recommend --model DIR --items IDS -k K` does. docs/model-format.md describes
the files and the forward pass this follows.

    python3 tools/score_model.py runs/vae --items 1,50,260 -k 10
    python3 tools/score_model.py runs/vae --items 1,50,260 -k 10 --json
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np


def read_safetensors(path):
    """name -> float32 array, from the raw bytes (header: {name: {dtype, shape, data_offsets}})."""
    data = Path(path).read_bytes()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    start = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        values = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=start + begin)
        tensors[name] = values.reshape(entry["shape"])
    return tensors


def autoencoder_scores(config, tensors, x):
    """Mult-VAE / Mult-DAE at inference: L2-normalized input, no dropout, z = mu, tanh between layers."""
    architecture = config["architecture"]
    p_dims = architecture["p_dims"]                       # decoder sizes from the code outwards, no item count
    q_dims = architecture["q_dims"] or p_dims[::-1]       # encoder sizes from the input inwards
    variational = config["model"] == "mult-vae"
    code_layer = len(q_dims) - 1                          # its output is [mu | logvar] for the VAE
    layers = len(q_dims) + len(p_dims)
    norm = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    h = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)   # an empty history stays zeros
    for layer in range(layers):
        w = tensors[f"layers.{layer}.weight"]             # [inputs, outputs]
        b = tensors[f"layers.{layer}.bias"]               # [outputs]
        h = h @ w + b
        if variational and layer == code_layer:
            h = h[:, :p_dims[0]]                          # mu, the first half; logvar is unused
        elif layer != layers - 1:
            h = np.tanh(h)
    return h


def recvae_scores(config, tensors, x):
    """RecVAE at inference: L2-normalized input, no dropout, the encoder's dense layers
    h_l = layer_norm(swish(h_{l-1} W_l + b_l + h_0 + ... + h_{l-1})), z = mu, one linear decoder."""
    hyper = config["hyperparameters"]
    layers = int(hyper["encoder_layers"])
    epsilon = np.float32(hyper["layer_norm_epsilon"])
    norm = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    h = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)   # an empty history stays zeros
    earlier = None                                        # sum of the earlier layers' outputs
    for layer in range(1, layers + 1):
        v = h @ tensors[f"encoder.fc{layer}.weight"] + tensors[f"encoder.fc{layer}.bias"]
        if earlier is not None:
            v = v + earlier
        v = v / (1 + np.exp(-v))                          # swish: v * sigmoid(v)
        mean = v.mean(axis=1, keepdims=True)
        variance = ((v - mean) ** 2).mean(axis=1, keepdims=True)   # biased, as nn.LayerNorm
        h = (v - mean) / np.sqrt(variance + epsilon) * tensors[f"encoder.ln{layer}.weight"] + tensors[f"encoder.ln{layer}.bias"]
        earlier = h if earlier is None else earlier + h
    mu = h @ tensors["encoder.fc_mu.weight"] + tensors["encoder.fc_mu.bias"]   # logvar is unused
    return mu @ tensors["decoder.weight"] + tensors["decoder.bias"]


def scores_for(config, tensors, x):
    kind = config["model"]
    if kind in ("mult-vae", "mult-dae"):
        return autoencoder_scores(config, tensors, x)
    if kind == "recvae":
        return recvae_scores(config, tensors, x)
    if kind == "ease":
        return x @ tensors["ease.weights"]                 # [items, items], zero diagonal
    if kind == "popularity":
        return np.broadcast_to(tensors["popularity.counts"], x.shape).copy()
    raise ValueError(f"unknown model kind {kind!r}")


def recommend(model_dir, history_ids, k, exclude_history=True):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    tensors = read_safetensors(model_dir / "model.safetensors")
    items = config["items"]                                # column j is original item ID items[j]
    column = {item: j for j, item in enumerate(items)}
    x = np.zeros((1, len(items)), dtype=np.float32)
    unknown = []
    for item in history_ids:
        if item in column:
            x[0, column[item]] = 1.0                       # duplicates count once
        elif item not in unknown:
            unknown.append(item)
    scores = scores_for(config, tensors, x)[0].astype(np.float32)
    if exclude_history:
        scores[x[0] > 0] = -np.inf
    order = np.argsort(-scores, kind="stable")             # ties: the lower column first, as VaeCf
    top = [j for j in order if np.isfinite(scores[j])][:k]
    return [(items[j], float(scores[j])) for j in top], unknown


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model folder written by vaecf train")
    parser.add_argument("--items", default="", help="the history: comma-separated original item IDs")
    parser.add_argument("-k", type=int, default=10, help="how many items to return")
    parser.add_argument("--no-exclude-history", action="store_true", help="allow the history's own items")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    history = [i.strip() for i in args.items.split(",") if i.strip()]
    top, unknown = recommend(args.model, history, args.k, not args.no_exclude_history)
    if args.json:
        print(json.dumps({"items": [{"id": i, "score": s} for i, s in top], "unknown_items": unknown}))
    else:
        for rank, (item, score) in enumerate(top, 1):
            print(f"{rank:3d}  {item:>10}  {score:.6f}")
        if unknown:
            print(f"ignored unknown IDs: {', '.join(unknown)}", file=sys.stderr)


if __name__ == "__main__":
    main()
