#!/usr/bin/python3
"""Independent reference for Platt scaling (test_svm.c, test_platt_reference).

Platt's sigmoid P(y = +1 | f) = 1 / (1 + exp(A f + B)) is fitted by
maximum likelihood on the regularised targets of Platt (1999) as improved
by Lin, Lin & Weng (2007): t = (N+ + 1) / (N+ + 2) for a positive example,
1 / (N- + 2) for a negative one.  This script minimises that negative log-
likelihood with its own code, Newton's method on the exact gradient and
Hessian with a halving line search, run to machine precision (gradient
below 1e-13, not pmed's 1e-5 stopping rule), and prints A and B for the
fixed decision values / labels the C test rebuilds (same formulas).

When scikit-learn is installed (apt-get install python3-sklearn), it also
runs sklearn.calibration._sigmoid_calibration on the same data, which
minimises the same objective with scipy's optimiser, and prints how far
apart the two are.

Run: /usr/bin/python3 test/unit/platt_ref.py
"""
import math


def cases():
    # 1. five hand points
    yield "hand", [-3.0, -1.0, 0.0, 1.0, 3.0], [-1, -1, 1, 1, 1]
    # 2. overlapping classes, n = 60
    dec, y = [], []
    for i in range(60):
        f = 3.0 * math.sin(1.7 * i) + 0.2 * i / 60.0
        dec.append(f)
        y.append(1 if math.cos(2.3 * i) + 0.5 * f > 0 else -1)
    yield "overlap", dec, y
    # 3. large decision values (exp would overflow without care), n = 200
    dec, y = [], []
    for i in range(200):
        f = 40.0 * math.sin(0.37 * i + 0.1)
        dec.append(f)
        y.append(1 if f + 25.0 * math.cos(1.3 * i) > 0 else -1)
    yield "large", dec, y
    # 4. imbalanced: every tenth example positive, n = 50
    dec, y = [], []
    for i in range(50):
        pos = i % 10 == 3
        dec.append((1.5 if pos else -1.0) + math.sin(0.9 * i))
        y.append(1 if pos else -1)
    yield "imbalanced", dec, y


def nll(dec, t, a, b):
    s = 0.0
    for f, ti in zip(dec, t):
        z = f * a + b
        # -[t log p + (1 - t) log(1 - p)] with p = 1 / (1 + exp(z))
        if z >= 0:
            s += ti * z + math.log1p(math.exp(-z))
        else:
            s += (ti - 1.0) * z + math.log1p(math.exp(z))
    return s


def fit(dec, y):
    npos = sum(1 for v in y if v > 0)
    nneg = len(y) - npos
    hi = (npos + 1.0) / (npos + 2.0)
    lo = 1.0 / (nneg + 2.0)
    t = [hi if v > 0 else lo for v in y]
    a, b = 0.0, math.log((nneg + 1.0) / (npos + 1.0))
    fval = nll(dec, t, a, b)
    for _ in range(500):
        g1 = g2 = h11 = h22 = h21 = 0.0
        for f, ti in zip(dec, t):
            z = f * a + b
            # p = 1 / (1 + exp(z)) computed without overflow
            p = 1.0 / (1.0 + math.exp(z)) if z < 0 else math.exp(-z) / (1.0 + math.exp(-z))
            d = p * (1.0 - p)
            g1 += f * (ti - p)
            g2 += ti - p
            h11 += f * f * d
            h22 += d
            h21 += f * d
        if abs(g1) < 1e-13 and abs(g2) < 1e-13:
            break
        det = h11 * h22 - h21 * h21
        da = -(h22 * g1 - h21 * g2) / det
        db = -(h11 * g2 - h21 * g1) / det
        step = 1.0
        while step > 1e-16:
            na, nb = a + step * da, b + step * db
            nf = nll(dec, t, na, nb)
            if nf <= fval:
                a, b, fval = na, nb, nf
                break
            step /= 2
        else:
            break
    return a, b


def main():
    try:
        from sklearn.calibration import _sigmoid_calibration
        import numpy as np
    except ImportError:
        _sigmoid_calibration = None
    for name, dec, y in cases():
        a, b = fit(dec, y)
        line = "%-10s A = %.12f  B = %.12f" % (name, a, b)
        if _sigmoid_calibration is not None:
            sa, sb = _sigmoid_calibration(np.array(dec), np.array([1 if v > 0 else 0 for v in y]))
            line += "   sklearn: A = %.12f B = %.12f (|diff| %.1e, %.1e)" % (sa, sb, abs(sa - a), abs(sb - b))
        print(line)


if __name__ == "__main__":
    main()
