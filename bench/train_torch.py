#!/usr/bin/python3
"""train_torch.py — the PyTorch side of bench/train_vs_torch.sh: the same GPT as scalefit's engine
(token + learned position embedding, pre-LayerNorm blocks with biased qkv/projection linears,
causal softmax attention written out as q·kᵀ, masked_fill, softmax, ·v — PyTorch 1.13 has no
fused SDPA —, a 4·d tanh-GELU MLP, final LayerNorm, head tied to the token embedding, mean
cross-entropy) trained with torch.optim.AdamW on uniform random tokens, timed as scalefit bench
train times itself: zero_grad(set_to_none) + forward + backward + step, after warm-up steps.

Prints "tokens/s: X" (median step) like `scalefit bench train`. Thread settings come from the
caller: --threads sets torch.set_num_threads; OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
OMP_WAIT_POLICY are the environment's (see the shell script).
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, nh):
        super().__init__()
        self.nh = nh
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fcproj = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        B, T, C = x.shape
        hs = C // self.nh
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, self.nh, hs).transpose(1, 2)
        k = k.view(B, T, self.nh, hs).transpose(1, 2)
        v = v.view(B, T, self.nh, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / hs ** 0.5)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, L, d, nh, V, T):
        super().__init__()
        self.wte = nn.Embedding(V, d)
        self.wpe = nn.Embedding(T, d)
        self.blocks = nn.ModuleList([Block(d, nh) for _ in range(L)])
        self.lnf = nn.LayerNorm(d)
        self.register_buffer("mask", ~torch.tril(torch.ones(T, T, dtype=torch.bool)))
        for name, p in self.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                std = 0.02 / (2 * L) ** 0.5 if name.endswith(("proj.weight",)) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x, self.mask[:T, :T])
        logits = F.linear(self.lnf(x), self.wte.weight)
        return F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-vocab", type=int, default=512)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--n-ctx", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = GPT(a.n_layer, a.d_model, a.n_head, a.n_vocab, a.n_ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.0)
    g = torch.Generator().manual_seed(2)
    data = torch.randint(0, a.n_vocab, (a.warmup + a.steps, a.batch, a.n_ctx + 1), generator=g)
    times = []
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(data[s, :, :-1], data[s, :, 1:])
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if s >= a.warmup:
            times.append(dt)
    med = statistics.median(times)
    n_params = sum(p.numel() for p in model.parameters())
    print("torch: %s threads %d params %d" % (torch.__version__, a.threads, n_params))
    print("ms/step: median %.1f (min %.1f, max %.1f) over %d steps; final loss %.4f"
          % (1e3 * med, 1e3 * min(times), 1e3 * max(times), a.steps, loss.item()))
    print("tokens/s: %.0f" % (a.batch * a.n_ctx / med))


if __name__ == "__main__":
    main()
