#!/usr/bin/python3
"""Reference NumPy implementations of pmed's item_knn and implicit ALS, for
test/bench/cf.sh.  The same algorithms as src/core/cf_knn.c and cf_als.c:

  item_knn: sim(i, j) = <r_i, r_j> / (|r_i| |r_j| + shrinkage) on the weight
            matrix, pairs with fewer than min_support co-patients dropped,
            top `neighbors` per item kept.
  als:      Hu, Koren & Volinsky (2008), confidence 1 + alpha * w, one exact
            least-squares solve per row with the Y'Y + Y_u'(C_u - I)Y_u trick,
            Y from X then X from Y each sweep.

    cf_numpy.py gen  OUT.csv            write the generated data set
    cf_numpy.py time IN.csv             print "knn_seconds als_seconds"
"""
import sys
import time

import numpy as np


def generate(path, n_patients=943, n_items=1682, n_rows=100_000, seed=42):
    """MovieLens-100k-sized implicit data: per-patient counts log-normal
    (at least 20, like MovieLens), items drawn by a Zipf-like popularity,
    weights 1..5."""
    rng = np.random.default_rng(seed)
    counts = np.maximum(20, rng.lognormal(4.0, 0.9, n_patients)).astype(float)
    counts = np.maximum(20, np.round(counts * (n_rows / counts.sum()))).astype(int)
    while counts.sum() != n_rows:                      # fix rounding drift
        i = rng.integers(n_patients)
        step = 1 if counts.sum() < n_rows else -1
        if 20 <= counts[i] + step <= n_items // 2:
            counts[i] += step
    pop = 1.0 / (np.arange(n_items) + 10.0) ** 0.9
    pop /= pop.sum()
    perm = rng.permutation(n_items)                    # popular ids are scattered
    with open(path, "w") as out:
        for u in range(n_patients):
            items = rng.choice(n_items, size=counts[u], replace=False, p=pop)
            for i in np.sort(perm[items]):
                out.write(f"{u + 1},{i + 1},{rng.integers(1, 6)}\n")


def load(path):
    d = np.loadtxt(path, delimiter=",", dtype=np.int64)
    return d[:, 0], d[:, 1], d[:, 2].astype(float)


def item_knn(pat, item, w, neighbors=50, shrinkage=10.0, min_support=1):
    pu, pi = np.unique(pat, return_inverse=True)
    iu, ii = np.unique(item, return_inverse=True)
    R = np.zeros((len(pu), len(iu)))
    R[pi, ii] = w
    B = (R > 0).astype(float)
    dot = R.T @ R
    support = B.T @ B
    norm = np.sqrt(np.diag(dot))
    sim = dot / (np.outer(norm, norm) + shrinkage)
    sim[(support < min_support) | (dot <= 0)] = 0.0
    np.fill_diagonal(sim, 0.0)
    k = min(neighbors, len(iu) - 1)
    top = np.argpartition(-sim, k, axis=1)[:, :k]
    rows = np.arange(len(iu))[:, None]
    order = np.argsort(-sim[rows, top], axis=1, kind="stable")
    return top[rows, order], sim[rows, top[rows, order]]


def csr(rows, cols, vals, n_rows):
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    return np.cumsum(indptr), cols, vals


def als(pat, item, w, factors=32, iterations=15, reg=0.1, alpha=40.0, seed=0):
    pu, pi = np.unique(pat, return_inverse=True)
    iu, ii = np.unique(item, return_inverse=True)
    nu, ni = len(pu), len(iu)
    users = csr(pi, ii, w, nu)
    items = csr(ii, pi, w, ni)
    rng = np.random.default_rng(seed)
    X = 0.1 * rng.standard_normal((nu, factors))
    Y = 0.1 * rng.standard_normal((ni, factors))
    eye = reg * np.eye(factors)

    def sweep(T, F, m):
        indptr, idx, val = m
        G = F.T @ F + eye
        for r in range(T.shape[0]):
            s, e = indptr[r], indptr[r + 1]
            Fr = F[idx[s:e]]
            c = alpha * val[s:e]
            A = G + (Fr.T * c) @ Fr
            b = (1.0 + c) @ Fr
            T[r] = np.linalg.solve(A, b)

    for _ in range(iterations):
        sweep(Y, X, items)
        sweep(X, Y, users)
    return X, Y


def main():
    if sys.argv[1] == "gen":
        generate(sys.argv[2])
        return
    pat, item, w = load(sys.argv[2])
    best_knn = min(timed(item_knn, pat, item, w) for _ in range(3))
    best_als = min(timed(als, pat, item, w) for _ in range(3))
    print(f"{best_knn:.4f} {best_als:.4f}")


def timed(f, *args):
    t0 = time.perf_counter()
    f(*args)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
