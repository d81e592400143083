#!/usr/bin/python3
# make_sweep.py: writes the fixture sweep directory sweep/ (curves.csv and results.csv in
# DESIGN.md's columns) used by the plot suite. Losses follow a Chinchilla-form law in model size
# N and tokens D with made-up constants (E = 2.0 is the source's entropy, bayes_loss), no
# noise in eval_loss_cv, and a small deterministic wobble shared by eval_loss and
# eval_true_loss (the sampling noise of the eval set that the control variate removes).
# Five runs: four sizes at one seed and the smallest size again at another seed.
import math

E, A, ALPHA, B, BETA = 2.0, 60.0, 0.34, 50.0, 0.28
BATCH, N_CTX, EVERY, STEPS = 16, 64, 100, 2000
RUNS = [  # run, seed, n_layer, d_model
    ("r-l2-d32-s1", 1, 2, 32),
    ("r-l2-d64-s1", 1, 2, 64),
    ("r-l4-d128-s1", 1, 4, 128),
    ("r-l4-d256-s1", 1, 4, 256),
    ("r-l2-d32-s2", 2, 2, 32),
]


def fmt(v):
    return repr(float(v))


curves = ["run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv"]
results = ["run,status,seed,n_layer,d_model,n_head,d_ff,d_attn,n_ctx,batch,lr,params,"
           "params_nonembed,tokens,flops_6n,best_eval_loss,best_eval_loss_cv,final_eval_loss,"
           "bayes_loss,entropy_rate"]
for run, seed, n_layer, d_model in RUNS:
    n = 12 * n_layer * d_model ** 2
    params = n + 256 * d_model
    best = best_cv = final = None
    for step in range(EVERY, STEPS + 1, EVERY):
        tokens = step * BATCH * N_CTX
        cv = E + A / n ** ALPHA + B / tokens ** BETA
        wobble = 0.01 * math.sin(0.7 * step / EVERY + seed)
        loss, true = cv + wobble, E + wobble
        curves.append(f"{run},{seed},{n},{step},{tokens},{fmt(6 * n * tokens)},{fmt(loss)},"
                      f"{fmt(true)},{fmt(cv)}")
        best = loss if best is None else min(best, loss)
        best_cv = cv if best_cv is None else min(best_cv, cv)
        final = loss
    tokens = STEPS * BATCH * N_CTX
    results.append(f"{run},done,{seed},{n_layer},{d_model},{max(2, d_model // 64)},{4 * d_model},"
                   f"{d_model},{N_CTX},{BATCH},0.003,{params},{n},{tokens},{fmt(6 * n * tokens)},"
                   f"{fmt(best)},{fmt(best_cv)},{fmt(final)},{fmt(E)},{fmt(E)}")

for name, lines in (("curves.csv", curves), ("results.csv", results)):
    with open(f"sweep/{name}", "w") as f:
        f.write("\n".join(lines) + "\n")
