#!/usr/bin/python3
"""Compare pmed's neural engine (src/core/nn*.c) with PyTorch on one thread.

Same architecture, same epochs, same mini-batch size, same optimiser
(AdamW, no weight decay), same input encoding (standardization from
training rows, mask and GRU-D-style delta inputs, see src/core/nn.h),
same data and split; no early stopping on either side.  Reports the mean
over three seeds of the held-out quality and of the training wall time.

Tasks:
  waves  synthetic: sine / square / sawtooth, noise, 10 % missing (CNN)
  sums   synthetic: is the sum of the observed values positive, 30 %
         missing, lengths 5..30 (GRU)
  beats  MIT-BIH DS1 beats (CNN + RR intervals as static inputs), test =
         records with record % 5 = 0 (inter-patient), macro-F1 over N/S/V/F
  icu    PhysioNet 2012 set a (GRU, admission descriptors as static
         inputs), test = stay_id % 5 = 0, in-hospital death, AUC
The real tasks need PMED_SHARED_DATA (default ../shared/data from the repo
root) and are skipped when it is absent.  Nothing derived from them is
written into the repository: scratch files go to a temporary directory.

usage: test/bench/nn_torch.py [task ...]     (default: all)
needs: apt-get install -y python3-torch (system /usr/bin/python3)
"""
import csv
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("PMED_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
SEEDS = [1, 2, 3]


# ---------------------------------------------------------------- data sets
# A data set: list of sequences x[i] (len_i x F float64, NaN missing),
# static s (n x S), labels y (n), n_classes.

def waves(n, T, seed, noise=0.5, missing=0.1):
    r = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n):
        c = int(r.integers(3))
        period = 8 + 16 * r.random()
        phase, amp = r.random(), 0.5 + r.random()
        u = np.arange(T) / period + phase
        fr = u - np.floor(u)
        v = np.sin(2 * np.pi * u) if c == 0 else (np.where(fr < 0.5, 1.0, -1.0) if c == 1 else 2 * fr - 1)
        v = amp * v + noise * r.standard_normal(T) + 3.0
        v[r.random(T) < missing] = np.nan
        xs.append(v.reshape(T, 1))
        ys.append(c)
    return xs, np.zeros((n, 0)), np.array(ys, float), 3


def sums(n, seed):
    r = np.random.default_rng(seed)
    xs, ss, ys = [], [], []
    for _ in range(n):
        T = 5 + int(r.integers(26))
        a = 0.1 + r.standard_normal(T)
        a[r.random(T) < 0.3] = np.nan
        b = r.standard_normal(T)
        xs.append(np.stack([a, b], 1))
        ss.append([r.standard_normal()])
        ys.append(1.0 if np.nansum(a) > 0 else 0.0)
    return xs, np.array(ss), np.array(ys), 2


def beats():
    path = os.path.join(DATA, "mitbih-beats", "beats.csv")
    if not os.path.exists(path):
        return None
    tr, te = ([], [], []), ([], [], [])
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["aami"] == "Q":
                continue
            sig = np.array(row["signal"].strip("{}").split(","), float) / 200.0
            rp, rn, rl = float(row["rr_prev_ms"]), float(row["rr_next_ms"]), float(row["rr_local_ms"])
            part = te if int(row["record"]) % 5 == 0 else tr
            part[0].append(sig.reshape(-1, 1))
            part[1].append([rp, rn, rl, rp / rl, rn / rl])
            part[2].append(float(row["label"]))
    mk = lambda p: (p[0], np.array(p[1]), np.array(p[2]), 4)
    return mk(tr), mk(te)


def icu():
    d = os.path.join(DATA, "physionet2012")
    if not os.path.exists(os.path.join(d, "hourly.csv")):
        return None
    stays = {}
    with open(os.path.join(d, "stays.csv")) as f:
        for row in csv.DictReader(f):
            g = lambda k: float(row[k]) if row[k] != "" else np.nan
            stays[int(row["stay_id"])] = ([g("age"), g("gender"), g("height"), g("weight"),
                                           float(row["icu_type"] == "1"), float(row["icu_type"] == "2"),
                                           float(row["icu_type"] == "3")], g("in_hospital_death"))
    seqs = {}
    with open(os.path.join(d, "hourly.csv")) as f:
        rd = csv.reader(f)
        next(rd)
        for row in rd:
            sid = int(row[0])
            seqs.setdefault(sid, []).append([float(v) if v != "" else np.nan for v in row[2:]])
    tr, te = ([], [], []), ([], [], [])
    for sid in sorted(stays):
        part = te if sid % 5 == 0 else tr
        part[0].append(np.array(seqs[sid]))
        part[1].append(stays[sid][0])
        part[2].append(stays[sid][1])
    mk = lambda p: (p[0], np.array(p[1]), np.array(p[2]), 2)
    return mk(tr), mk(te)


# ---------------------------------------------------------------- pmed side

def write_bin(path, ds):
    xs, s, y, k = ds
    with open(path, "wb") as f:
        f.write(struct.pack("<4i", len(xs), xs[0].shape[1], s.shape[1], k))
        f.write(np.array([len(x) for x in xs], "<i4").tobytes())
        f.write(np.asarray(y, "<f8").tobytes())
        f.write(np.asarray(s, "<f8").tobytes())
        f.write(np.concatenate(xs).astype("<f8").tobytes())


def build(tmp):
    exe = os.path.join(tmp, "nn_bench")
    core = sorted(os.path.join(ROOT, "src", "core", f) for f in os.listdir(os.path.join(ROOT, "src", "core"))
                  if f.endswith(".c"))
    subprocess.run(["cc", "-O2", "-std=gnu11", "-I" + os.path.join(ROOT, "src", "core"), "-o", exe,
                    os.path.join(ROOT, "test", "bench", "nn_bench.c")] + core + ["-llapack", "-lblas", "-lm"],
                   check=True)
    return exe


def run_pmed(exe, tmp, train, test, opts, seed):
    a, b, o = (os.path.join(tmp, n) for n in ("train.bin", "test.bin", "probs.bin"))
    write_bin(a, train)
    write_bin(b, test)
    args = [exe, a, b, o] + ["%s=%s" % kv for kv in opts.items()] + ["seed=%d" % seed]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
    p = np.fromfile(o, "<f8").reshape(len(test[0]), -1)
    return float(out[1]), p


# ---------------------------------------------------------------- torch side

def encode(ds, stats, gru):
    """The encoding of src/core/nn_net.c: standardize, impute, mask, delta."""
    xs, s, y, k = ds
    mean, std, use_mask, smean, sstd, smask = stats
    T = max(len(x) for x in xs)
    F = xs[0].shape[1]
    D = F * (3 if gru else 2) if use_mask else F
    X = np.zeros((len(xs), T, D), np.float32)
    for i, x in enumerate(xs):
        obs = np.isfinite(x)
        z = np.where(obs, (np.nan_to_num(x) - mean) / std, 0.0)
        if gru:
            last = np.zeros(F)
            seen = np.full(F, -1)
            delta = np.zeros_like(z)
            for t in range(len(x)):
                o = obs[t]
                z[t, ~o] = np.where(seen[~o] >= 0, last[~o], 0.0)
                delta[t, ~o] = np.log1p(np.where(seen[~o] >= 0, t - seen[~o], t + 1))
                last[o] = z[t, o]
                seen[o] = t
        X[i, :len(x), :F] = z
        if use_mask:
            X[i, :len(x), F:2 * F] = obs
            if gru:
                X[i, :len(x), 2 * F:] = delta
    S = np.zeros((len(xs), 0), np.float32)
    if s.shape[1]:
        so = np.isfinite(s)
        S = np.where(so, (np.nan_to_num(s) - smean) / sstd, 0.0)
        if smask:
            S = np.concatenate([S, so], 1)
    return torch.tensor(X), torch.tensor(np.asarray(S, np.float32)), np.array([len(x) for x in xs])


def stats_of(ds):
    xs, s, _, _ = ds
    allx = np.concatenate(xs)
    mean = np.nanmean(allx, 0)
    std = np.nanstd(allx, 0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    smean = np.nanmean(s, 0) if s.shape[1] else None
    sstd = np.nanstd(s, 0) if s.shape[1] else None
    if s.shape[1]:
        sstd = np.where(sstd > 1e-12, sstd, 1.0)
    return mean, std, bool(np.isnan(allx).any()), smean, sstd, bool(s.shape[1] and np.isnan(s).any())


class Net(torch.nn.Module):
    def __init__(self, opts, D, S, K, T):
        super().__init__()
        self.gru = opts["arch"] == "gru"
        self.head = opts.get("head", "avg")
        if self.gru:
            H = int(opts["hidden"])
            self.bidir = bool(int(opts.get("bidir", 0)))
            self.rnn = torch.nn.GRU(D, H, int(opts.get("layers", 1)), batch_first=True, bidirectional=self.bidir)
            width = H * (2 if self.bidir else 1)
        else:
            layers, c, t = [], D, T
            filters = [int(v) for v in str(opts["filters"]).split(",")]
            kernels = [int(v) for v in str(opts["kernels"]).split(",")]
            pools = [int(v) for v in str(opts["pools"]).split(",")]
            for f, kk, p in zip(filters, kernels, pools):
                layers += [torch.nn.Conv1d(c, f, kk, padding=kk // 2), torch.nn.ReLU()]
                if p > 1:
                    layers.append(torch.nn.MaxPool1d(p) if opts.get("pool", "max") == "max" else torch.nn.AvgPool1d(p))
                    t //= p
                c = f
            self.conv = torch.nn.Sequential(*layers)
            width = c * t if self.head == "flatten" else c
        dense = [] if str(opts.get("dense", "32")) == "0" else [int(v) for v in str(opts.get("dense", "32")).split(",")]
        lin, w = [], width + S
        for u in dense:
            lin += [torch.nn.Linear(w, u), torch.nn.ReLU()]
            w = u
        lin.append(torch.nn.Linear(w, 1 if K == 2 else K))
        self.lin = torch.nn.Sequential(*lin)

    def forward(self, x, s, lens):
        if self.gru:
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
            _, h = self.rnn(packed)
            f = torch.cat([h[-2], h[-1]], 1) if self.bidir else h[-1]
        else:
            z = self.conv(x.transpose(1, 2))
            f = z.flatten(1) if self.head == "flatten" else (z.amax(2) if self.head == "max" else z.mean(2))
        return self.lin(torch.cat([f, s], 1))


def run_torch(train, test, opts, seed):
    torch.manual_seed(seed)
    gru = opts["arch"] == "gru"
    st = stats_of(train)
    X, S, L = encode(train, st, gru)
    Xt, St, Lt = encode(test, st, gru)
    K = train[3]
    y = torch.tensor(train[2])
    w = None
    if int(opts.get("balanced", 0)):
        cnt = np.bincount(train[2].astype(int), minlength=K)
        w = torch.tensor(len(train[2]) / (K * np.maximum(cnt, 1)))
    net = Net(opts, X.shape[2], S.shape[1], K, X.shape[1])
    opt = torch.optim.AdamW(net.parameters(), lr=float(opts.get("lr", 1e-3)), weight_decay=0.0)
    B = int(opts["batch"])
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for _ in range(int(opts["epochs"])):
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), B):
            idx = perm[i:i + B]
            T = int(L[idx].max()) if gru else X.shape[1]
            out = net(X[idx, :T], S[idx], torch.tensor(L[idx]))
            yi = y[idx]
            wi = w[yi.long()] if w is not None else torch.ones(len(idx), dtype=torch.float64)
            if K == 2:
                l = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0].double(), yi, reduction="none")
            else:
                l = torch.nn.functional.cross_entropy(out.double(), yi.long(), reduction="none")
            loss = (l * wi).sum() / wi.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        out = net(Xt, St, torch.tensor(Lt))
        p = torch.sigmoid(out[:, 0]).numpy()[:, None] if K == 2 else torch.softmax(out, 1).numpy()
        if K == 2:
            p = np.concatenate([1 - p, p], 1)
    return secs, p


# ---------------------------------------------------------------- metrics

def auc(y, p):
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def macro_f1(y, p, k):
    pred = p.argmax(1)
    f1s = []
    for c in range(k):
        tp = np.sum((pred == c) & (y == c))
        fp = np.sum((pred == c) & (y != c))
        fn = np.sum((pred != c) & (y == c))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(f1s))


def quality(task, y, p):
    if task == "icu":
        return auc(y, p[:, 1])
    if task == "beats":
        return macro_f1(y, p, 4)
    return float(np.mean(p.argmax(1) == y))


TASKS = {
    "waves": (lambda: (waves(3000, 128, 10), waves(1000, 128, 20)),
              dict(arch="cnn", filters="16,32", kernels="5,5", pools="2,2", head="avg", dense="32",
                   epochs=10, batch=32, lr=0.003, balanced=1), "accuracy"),
    "sums": (lambda: (sums(4000, 10), sums(1000, 20)),
             dict(arch="gru", hidden=32, layers=1, dense="32", epochs=10, batch=32, lr=0.003), "accuracy"),
    "beats": (beats, dict(arch="cnn", filters="16,32,32", kernels="7,5,5", pools="2,2,2", head="flatten",
                          dense="32", epochs=10, batch=64, lr=0.001, balanced=1), "macro-F1 N/S/V/F"),
    "icu": (icu, dict(arch="gru", hidden=32, layers=1, dense="32", epochs=10, batch=64, lr=0.001),
            "AUC"),
}


def main():
    tasks = sys.argv[1:] or list(TASKS)
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(tmp)
        print("| task | metric | pmed quality | PyTorch quality | pmed train s | PyTorch train s | time ratio |")
        print("|---|---|---|---|---|---|---|")
        for task in tasks:
            make, opts, metric = TASKS[task]
            data = make()
            if data is None:
                print("| %s | skipped: no data under %s | | | | | |" % (task, DATA))
                continue
            train, test = data
            res = {"pmed": [], "torch": []}
            for seed in SEEDS:
                s, p = run_pmed(exe, tmp, train, test, opts, seed)
                res["pmed"].append((s, quality(task, test[2], p)))
                s, p = run_torch(train, test, opts, seed)
                res["torch"].append((s, quality(task, test[2], p)))
                print("# %s seed %d: pmed %.3f s q %.4f | torch %.3f s q %.4f" %
                      ((task, seed) + res["pmed"][-1] + res["torch"][-1]), file=sys.stderr)
            mp = np.mean(res["pmed"], 0)
            mt = np.mean(res["torch"], 0)
            print("| %s | %s | %.4f | %.4f | %.2f | %.2f | %.2f |" % (task, metric, mp[1], mt[1], mp[0], mt[0],
                                                                        mp[0] / mt[0]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
