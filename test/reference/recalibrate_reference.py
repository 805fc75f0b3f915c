#!/usr/bin/python3
"""Independent reference for pmed.recalibrate.

Reads rows written by recalibrate_scores.sql: per data set and model, each
row's own probability p0, outcome y, role ('fit': the rows pmed recalibrated
on; 'eval': held-out rows) and pmed's recalibrated probabilities.
  - isotonic: scikit-learn's IsotonicRegression(out_of_bounds="clip") fitted
    on the 'fit' rows' (p0, y) predicts every row; pmed must agree to 1e-9;
  - platt: scikit-learn's _sigmoid_calibration (Platt's regularised targets,
    BFGS) on logit(clip(p0)) with pmed's clip 1 / (2 (n + 1)); pmed's
    probabilities must agree to 1e-5 (BFGS stops at gtol 1e-5), and to 1e-9
    with the same likelihood minimised by Newton's method in NumPy here;
  - the calibration (ECE, ten equal-width bins) of the held-out rows before
    and after is printed for the record.
Prints TAP lines.  Usage: recalibrate_reference.py rows.csv
"""
import csv
import json
import sys

import numpy as np
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

results = []


def check(ok, what):
    results.append((bool(ok), what))


def platt_newton(f, y):
    """Platt's regularised-target likelihood minimised by Newton's method."""
    n1 = y.sum()
    n0 = len(y) - n1
    t = np.where(y > 0, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))
    a, b = 0.0, np.log((n0 + 1.0) / (n1 + 1.0))
    for _ in range(200):
        p = 1.0 / (1.0 + np.exp(a * f + b))      # P(y = 1)
        g = np.array([np.sum((t - p) * f), np.sum(t - p)])
        w = p * (1 - p)
        h = np.array([[np.sum(w * f * f), np.sum(w * f)], [np.sum(w * f), np.sum(w)]])
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < 1e-14:
            break
    return a, b


def ece(p, y):
    bins = np.minimum((p * 10).astype(int), 9)
    total = 0.0
    for k in range(10):
        m = bins == k
        if m.any():
            total += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return total


def main():
    groups = {}
    with open(sys.argv[1]) as fh:
        for row in csv.DictReader(fh):
            groups.setdefault((row["data"], row["fam"]), []).append(row)
    for (data, fam), rows in sorted(groups.items()):
        role = np.array([r["role"] for r in rows])
        y = np.array([r["y"] == "t" for r in rows], dtype=float)
        p0 = np.array([float(r["p0"]) for r in rows])
        p_platt = np.array([float(r["p_platt"]) for r in rows])
        p_iso = np.array([float(r["p_iso"]) for r in rows])
        platt_info = json.loads(rows[0]["platt_info"])
        iso_info = json.loads(rows[0]["iso_info"])
        fit = role == "fit"
        name = f"{data} {fam}"

        iso = IsotonicRegression(out_of_bounds="clip").fit(p0[fit], y[fit])
        d_iso = np.max(np.abs(iso.predict(p0) - p_iso))
        check(d_iso <= 1e-9, f"{name}: isotonic = sklearn IsotonicRegression on {len(p0)} rows "
              f"(max |diff| {d_iso:.3g}, {len(iso.X_thresholds_)} knots, pmed {iso_info['steps']})")
        check(len(iso.X_thresholds_) == iso_info["steps"], f"{name}: isotonic knots = sklearn's")
        check(iso_info["rows_used"] == fit.sum() and iso_info["positives"] == y[fit].sum(),
              f"{name}: isotonic rows_used and positives")

        clip = 0.5 / (fit.sum() + 1)
        check(abs(platt_info["clip"] - clip) < 1e-17, f"{name}: platt clip 1 / (2 (n + 1))")
        pc = np.clip(p0, clip, 1 - clip)
        f = np.log(pc / (1 - pc))
        a, b = _sigmoid_calibration(f[fit], y[fit])
        d_sk = np.max(np.abs(1 / (1 + np.exp(a * f + b)) - p_platt))
        check(d_sk <= 1e-5, f"{name}: platt = sklearn _sigmoid_calibration (max |diff| {d_sk:.3g})")
        a2, b2 = platt_newton(f[fit], y[fit])
        d_nt = np.max(np.abs(1 / (1 + np.exp(a2 * f + b2)) - p_platt))
        check(d_nt <= 1e-9, f"{name}: platt = NumPy Newton (max |diff| {d_nt:.3g}; "
              f"slope {-a2:.12g} pmed {platt_info['slope']:.12g}, intercept {-b2:.12g} pmed {platt_info['intercept']:.12g})")
        ev = role == "eval"
        print(f"# {name}: held-out ECE {ece(p0[ev], y[ev]):.4f} -> platt {ece(p_platt[ev], y[ev]):.4f}, "
              f"isotonic {ece(p_iso[ev], y[ev]):.4f} ({ev.sum()} rows)")
    n = 0
    failed = 0
    for ok, what in results:
        n += 1
        failed += not ok
        print(("ok" if ok else "not ok") + f" {n} - {what}")
    print(f"# {n - failed} of {n} recalibration reference checks agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
