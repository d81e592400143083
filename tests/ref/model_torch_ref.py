#!/usr/bin/python3
"""model_torch_ref.py — an independent implementation of scalefit's transformer in PyTorch, run
live by tests/model/test_torch_ref.c.

Reads IN (written by the C test: shape, AdamW settings, learning rates, one batch and the engine's
initial weights in its parameter layout), builds the same network with torch.nn.functional in
float64 (token + learned position embedding, pre-LayerNorm blocks with causal multi-head
attention and a tanh-GELU MLP, final LayerNorm, head tied to the token embedding or not,
mean cross-entropy in nats over the targets that are not -1, the engine's loss mask), and
writes OUT: the logits, the loss, the gradient of every
parameter in the engine's layout, and the losses of the AdamW steps (torch.optim.AdamW with
weight decay on the block matrices and an untied head only, unless weight_decay_all, and
torch.nn.utils.clip_grad_norm_ before each step).

Exit status 77 when torch cannot be imported (the C test decides whether that is a skip).

File formats (little-endian):
  IN:  b"SFTR", u32 version=1, then i64 n_layer, d_model, n_head, d_ff, d_attn, n_ctx, n_vocab,
       tie, batch, n_steps; f64 beta1, beta2, eps, weight_decay, weight_decay_all, grad_clip;
       f64 lr[n_steps]; i32 inputs[B*T]; i32 targets[B*T]; i64 n_params; f32 params[n_params]
  OUT: b"SFTO", u32 version=1, f64 loss, f64 logits[B*T*V], f64 grads[n_params],
       f64 losses[n_steps] (the loss before each step)
"""
import struct
import sys

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the C test turns this into a skip or, under CI, a failure
    print("model_torch_ref.py: torch is not importable", file=sys.stderr)
    sys.exit(77)


def tensor_layout(L, C, NH, FF, A, T, V, tie):
    """(name, shape) in the engine's parameter block order (src/model/internal.h)."""
    out = [("wte", (V, C)), ("wpe", (T, C)), ("ln1w", (L, C)), ("ln1b", (L, C)),
           ("qkvw", (L, 3 * A, C)), ("qkvb", (L, 3 * A)), ("attprojw", (L, C, A)),
           ("attprojb", (L, C)), ("ln2w", (L, C)), ("ln2b", (L, C)), ("fcw", (L, FF, C)),
           ("fcb", (L, FF)), ("fcprojw", (L, C, FF)), ("fcprojb", (L, C)), ("lnfw", (C,)),
           ("lnfb", (C,))]
    if not tie:
        out.append(("headw", (V, C)))
    return out


def forward(p, inputs, targets, L, NH, A, tie):
    B, T = inputs.shape
    C = p["wte"].shape[1]
    hs = A // NH
    x = p["wte"][inputs] + p["wpe"][:T][None, :, :]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(L):
        h = F.layer_norm(x, (C,), p["ln1w"][l], p["ln1b"][l], eps=1e-5)
        qkv = F.linear(h, p["qkvw"][l], p["qkvb"][l])
        q, k, v = qkv.split(A, dim=2)
        q = q.view(B, T, NH, hs).transpose(1, 2)
        k = k.view(B, T, NH, hs).transpose(1, 2)
        v = v.view(B, T, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / (hs ** 0.5)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, A)
        x = x + F.linear(y, p["attprojw"][l], p["attprojb"][l])
        h = F.layer_norm(x, (C,), p["ln2w"][l], p["ln2b"][l], eps=1e-5)
        h = F.gelu(F.linear(h, p["fcw"][l], p["fcb"][l]), approximate="tanh")
        x = x + F.linear(h, p["fcprojw"][l], p["fcprojb"][l])
    x = F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], eps=1e-5)
    logits = F.linear(x, p["wte"] if tie else p["headw"])
    loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-1)
    return logits, loss


def main():
    if len(sys.argv) != 3:
        print("usage: model_torch_ref.py IN OUT", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    data = open(sys.argv[1], "rb").read()
    if data[:4] != b"SFTR" or struct.unpack_from("<I", data, 4)[0] != 1:
        print("model_torch_ref.py: IN is not a version-1 SFTR file", file=sys.stderr)
        return 2
    off = 8
    L, C, NH, FF, A, T, V, tie, B, n_steps = struct.unpack_from("<10q", data, off)
    off += 80
    beta1, beta2, eps, wd, wd_all, clip = struct.unpack_from("<6d", data, off)
    off += 48
    lrs = struct.unpack_from("<%dd" % n_steps, data, off)
    off += 8 * n_steps
    inputs = np.frombuffer(data, "<i4", B * T, off).reshape(B, T)
    off += 4 * B * T
    targets = np.frombuffer(data, "<i4", B * T, off).reshape(B, T)
    off += 4 * B * T
    (n_params,) = struct.unpack_from("<q", data, off)
    off += 8
    flat = np.frombuffer(data, "<f4", n_params, off).astype(np.float64)

    layout = tensor_layout(L, C, NH, FF, A, T, V, bool(tie))
    params, pos = {}, 0
    for name, shape in layout:
        n = int(np.prod(shape))
        params[name] = torch.tensor(flat[pos:pos + n].reshape(shape), requires_grad=True)
        pos += n
    assert pos == n_params, (pos, n_params)

    inp = torch.tensor(inputs, dtype=torch.long)
    tgt = torch.tensor(targets, dtype=torch.long)
    logits, loss = forward(params, inp, tgt, L, NH, A, bool(tie))
    loss.backward()
    grads = np.concatenate([params[n].grad.detach().numpy().ravel() for n, _ in layout])
    out_logits = logits.detach().numpy().ravel()
    out_loss = loss.item()

    decayed = {"qkvw", "attprojw", "fcw", "fcprojw", "headw"}
    groups = [
        {"params": [params[n] for n, _ in layout if wd_all or n in decayed], "weight_decay": wd},
        {"params": [params[n] for n, _ in layout if not (wd_all or n in decayed)],
         "weight_decay": 0.0},
    ]
    groups = [g for g in groups if g["params"]]
    opt = torch.optim.AdamW(groups, lr=lrs[0], betas=(beta1, beta2), eps=eps, foreach=False)
    losses = []
    for s in range(n_steps):
        for g in opt.param_groups:
            g["lr"] = lrs[s]
        opt.zero_grad(set_to_none=True)
        _, l = forward(params, inp, tgt, L, NH, A, bool(tie))
        l.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_([params[n] for n, _ in layout], clip)
        opt.step()
        losses.append(l.item())

    with open(sys.argv[2], "wb") as f:
        f.write(b"SFTO" + struct.pack("<I", 1))
        f.write(struct.pack("<d", out_loss))
        f.write(out_logits.astype("<f8").tobytes())
        f.write(grads.astype("<f8").tobytes())
        f.write(np.asarray(losses, dtype="<f8").tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
