#!/usr/bin/python3
"""Independent reference for pmed's clinical evaluation aggregates.

Reads the out-of-fold scores (scores.csv) and pmed's results (pmed.csv)
written by evaluate_scores.sql and recomputes every number with NumPy/SciPy
from the textbook definitions, by methods other than pmed's:
  - AUC and DeLong placements from the full n_pos x n_neg comparison matrix
    (pmed: sorted arrays and binary search), variances with n - 1 (pROC),
    CI auc +- z se clipped to [0, 1], z from scipy.stats.norm.ppf;
  - the paired DeLong test from the 2x2 covariance matrices, p-value from
    scipy.stats.norm.sf;
  - calibration slope/intercept and calibration-in-the-large by Newton's
    method in NumPy (rows with p = 0 or 1 left out, as rms::val.prob), ECE
    and the binned Brier decomposition with numpy bins;
  - threshold metrics, threshold_for (brute force over every observed
    score), ROC / precision-recall points and their summary.
Prints TAP lines ("ok N - ..." / "not ok N - ..."); every number must agree
to 1e-6 (counts exactly).  Usage: evaluate_reference.py scores.csv pmed.csv
"""
import csv
import json
import sys

import numpy as np
from scipy.stats import norm

TOL = 1e-6
results = []
worst = [0.0, ""]


def check(ok, what):
    results.append((bool(ok), what))


def close(a, b, what=""):
    if a is None or b is None:
        return a is None and b is None
    d = abs(float(a) - float(b))
    if d > worst[0]:
        worst[0], worst[1] = d, what
    return d <= TOL


def psi_matrix(pos, neg):
    # psi(x, y) = 1 if x > y, 1/2 if x == y, 0 otherwise
    return (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])


def delong(pos, neg):
    m = psi_matrix(pos, neg)
    v10 = m.mean(axis=1)
    v01 = m.mean(axis=0)
    return m.mean(), v10, v01


def auc_ci(pos, neg, level):
    auc, v10, v01 = delong(pos, neg)
    if len(pos) < 2 or len(neg) < 2:
        return auc, None, None, None
    se = np.sqrt(np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg))
    z = norm.ppf(0.5 + level / 2)
    return auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se)


def compare(pa, pb, na, nb):
    auc_a, a10, a01 = delong(pa, na)
    auc_b, b10, b01 = delong(pb, nb)
    s10 = np.cov(np.vstack([a10, b10]), ddof=1)
    s01 = np.cov(np.vstack([a01, b01]), ddof=1)
    c = np.array([1.0, -1.0])
    var = c @ s10 @ c / len(pa) + c @ s01 @ c / len(na)
    se = np.sqrt(max(var, 0.0))
    if se == 0:
        return auc_a, auc_b, se, None, None
    z = (auc_a - auc_b) / se
    return auc_a, auc_b, se, z, 2 * norm.sf(abs(z))


def newton_logistic(x, y, offset):
    """Maximum likelihood of y ~ a + b x (offset False) or y ~ a + offset(x)."""
    X = np.ones((len(x), 1)) if offset else np.column_stack([np.ones(len(x)), x])
    off = x if offset else np.zeros(len(x))
    beta = np.zeros(X.shape[1])
    for _ in range(200):
        mu = 1 / (1 + np.exp(-(X @ beta + off)))
        grad = X.T @ (y - mu)
        hess = X.T @ (X * (mu * (1 - mu))[:, None])
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            return beta
    return None


def calibration(p, y):
    keep = (p > 0) & (p < 1)
    x = np.log(p[keep] / (1 - p[keep]))
    yk = y[keep].astype(float)
    fit = newton_logistic(x, yk, False) if 0 < yk.sum() < len(yk) else None
    citl = newton_logistic(x, yk, True) if 0 < yk.sum() < len(yk) else None
    bins = np.minimum(np.floor(p * 10).astype(int), 9)
    ece = rel = res = 0.0
    ybar = y.mean()
    for k in range(10):
        sel = bins == k
        if sel.any():
            share = sel.mean()
            ece += share * abs(p[sel].mean() - y[sel].mean())
            rel += share * (p[sel].mean() - y[sel].mean()) ** 2
            res += share * (y[sel].mean() - ybar) ** 2
    return {"slope": None if fit is None else fit[1], "intercept": None if fit is None else fit[0],
            "calibration_in_the_large": None if citl is None else citl[0],
            "ece": ece, "brier": np.mean((p - y) ** 2), "brier_reliability": rel,
            "brier_resolution": res, "brier_uncertainty": ybar * (1 - ybar),
            "n_extreme": int((~keep).sum())}


def confusion(s, y, t):
    pred = s >= t
    tp = int((pred & y).sum()); fp = int((pred & ~y).sum())
    tn = int((~pred & ~y).sum()); fn = int((~pred & y).sum())
    r = lambda a, b: None if b == 0 else a / b
    return {"sensitivity": r(tp, tp + fn), "specificity": r(tn, tn + fp), "ppv": r(tp, tp + fp),
            "npv": r(tn, tn + fn), "f1": r(2 * tp, 2 * tp + fp + fn), "accuracy": r(tp + tn, len(s)),
            "tp": tp, "fp": fp, "tn": tn, "fn": fn}


def threshold_for(s, y, target, sensitivity):
    cands = []
    for t in np.unique(s):
        c = confusion(s, y, t)
        v = c["sensitivity"] if sensitivity else c["specificity"]
        if v is not None and v >= target:
            cands.append(t)
    if not cands:
        return None
    t = max(cands) if sensitivity else min(cands)
    out = confusion(s, y, t)
    out["threshold"] = t
    return out


def roc_points(s, y):
    pts = [(None, 0.0, 0.0, 0)]
    for t in np.unique(s)[::-1]:
        c = confusion(s, y, t)
        pts.append((t, c["tp"] / y.sum(), c["fp"] / (~y).sum(), c["tp"] + c["fp"]))
    return pts


def summarise(pts, max_points):
    if len(pts) <= max_points:
        return pts
    cum = [p[-1] for p in pts]
    out = [0]
    for k in range(1, max_points - 1):
        level = cum[0] + (cum[-1] - cum[0]) * k / (max_points - 1)
        i = next(i for i in range(1, len(pts)) if i == len(pts) - 1 or cum[i] >= level)
        if i == len(pts) - 1:
            break
        if out[-1] != i:
            out.append(i)
    out.append(len(pts) - 1)
    return [pts[i] for i in out]


def same_dict(ref, got, what, keys=None):
    if ref is None or got is None:
        check(ref is None and got is None, what + ": both NULL")
        return
    for k in keys or ref.keys():
        check(close(ref[k], got.get(k), what + " " + k), "%s: %s pmed %s reference %s" % (what, k, got.get(k), ref[k]))


def main():
    scores = {}
    with open(sys.argv[1]) as f:
        for row in csv.DictReader(f):
            scores.setdefault(row["data"], []).append(
                (int(row["cohort"]), float(row["score_a"]), float(row["score_b"]), row["positive"] == "t"))
    with open(sys.argv[2]) as f:
        pmed = list(csv.DictReader(f))
    summary = {}
    for row in pmed:
        data, cohort = row["data"], int(row["cohort"])
        rows = [r for r in scores[data] if cohort == -1 or r[0] == cohort]
        a = np.array([r[1] for r in rows]); b = np.array([r[2] for r in rows])
        y = np.array([r[3] for r in rows])
        tag = "%s cohort %d" % (data, cohort)
        get = lambda k: None if row[k] == "" else json.loads(row[k])
        for name, s, level, key in (("a", a, 0.95, "ci_a"), ("b", b, 0.9, "ci_b")):
            auc, se, lo, hi = auc_ci(s[y], s[~y], level)
            same_dict({"auc": auc, "se": se, "lower": lo, "upper": hi, "n_pos": int(y.sum()),
                       "n_neg": int((~y).sum())}, get(key), tag + " auc_ci " + name)
            if cohort == -1:
                summary["%s auc_ci %s" % (data, name)] = (get(key), (auc, se, lo, hi))
        auc_a, auc_b, se, z, p = compare(a[y], b[y], a[~y], b[~y])
        same_dict({"auc_a": auc_a, "auc_b": auc_b, "difference": auc_a - auc_b, "se": se, "z": z,
                   "p_value": p}, get("cmp"), tag + " auc_compare")
        if cohort == -1:
            summary["%s auc_compare" % data] = (get("cmp"), (auc_a, auc_b, se, z, p))
        for name, s in (("a", a), ("b", b)):
            ref = calibration(s, y)
            same_dict(ref, get("cal_" + name), tag + " calibration " + name)
            if cohort == -1:
                summary["%s calibration %s" % (data, name)] = (get("cal_" + name), ref)
            same_dict(confusion(s, y, 0.5), get("tm_" + name), tag + " threshold_metrics " + name)
            same_dict(threshold_for(s, y, 0.95, True), get("tf_" + name), tag + " threshold_for " + name)
            same_dict(threshold_for(s, y, 0.9, False), get("ts_" + name), tag + " threshold_for_specificity " + name)
        for key, pts in (("roc_b", roc_points(b, y)), ("roc_a20", summarise(roc_points(a, y), 20))):
            got = get(key)
            check(len(got) == len(pts), "%s %s: %d points (reference %d)" % (tag, key, len(got), len(pts)))
            check(all(close(g["threshold"], p[0]) and close(g["tpr"], p[1]) and close(g["fpr"], p[2])
                      for g, p in zip(got, pts)), "%s %s: every point" % (tag, key))
        got = get("pr_b")
        ref = [(t, confusion(b, y, t)) for t in np.unique(b)[::-1]]
        check(len(got) == len(ref) and all(
            close(g["threshold"], t) and close(g["precision"], c["ppv"]) and close(g["recall"], c["sensitivity"])
            for g, (t, c) in zip(got, ref)), "%s pr_curve: %d points" % (tag, len(ref)))
        got = get("cc_b")
        bins = np.minimum(np.floor(b * 10).astype(int), 9)
        ref = [(k + 1, b[bins == k].mean(), y[bins == k].mean(), int((bins == k).sum()))
               for k in range(10) if (bins == k).any()]
        check(len(got) == len(ref) and all(
            g["bin"] == r[0] and close(g["mean_predicted"], r[1]) and close(g["observed_rate"], r[2])
            and g["count"] == r[3] for g, r in zip(got, ref)), "%s calibration_curve: %d bins" % (tag, len(ref)))
    for i, (ok, what) in enumerate(results, 1):
        if not ok:
            print("not ok %d - %s" % (i, what))
    print("ok - %d of %d reference comparisons agree to 1e-6" % (sum(ok for ok, _ in results), len(results))
          if all(ok for ok, _ in results) else "not ok - %d of %d reference comparisons disagree"
          % (sum(not ok for ok, _ in results), len(results)))
    print("# largest difference: %.3g (%s)" % (worst[0], worst[1]))
    for k, (got, ref) in summary.items():
        print("# %s: pmed %s | reference %s" % (k, json.dumps(got, sort_keys=True),
              json.dumps([None if v is None else float(v) for v in (ref.values() if isinstance(ref, dict) else ref)])))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
