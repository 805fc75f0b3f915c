#!/usr/bin/python3
"""Reference SVM trainers for test/bench/svm.sh.

Usage: svm_ref.py MODE TRAIN TEST C GAMMA TOL
  MODE  rbf: svm-train (libsvm) and sklearn SVC;  linear: liblinear-train -s 3 -B 1
  TRAIN, TEST: psql \\copy text files "label<TAB>{f1,f2,...}"
Features are standardized with the training rows' mean and population
deviation (as pmed does); each tool gets the same C, gamma and tolerance.
Prints one line per tool: "tool seconds accuracy n_sv" (liblinear: "it=<epochs>") (training time only,
files already written; accuracy on TEST).
"""
import os, subprocess, sys, tempfile, time
import numpy as np

def load(path):
    ys, xs = [], []
    for line in open(path):
        y, f = line.rstrip("\n").split("\t")
        ys.append(int(float(y)) if y not in ("t", "f") else (1 if y == "t" else 0))
        xs.append([float(v) for v in f.strip("{}").split(",")])
    return np.array(xs), np.array(ys)

def write_svmlight(path, X, y):
    with open(path, "w") as out:
        for xi, yi in zip(X, y):
            out.write("%d %s\n" % (1 if yi > 0 else -1,
                      " ".join("%d:%.10g" % (j + 1, v) for j, v in enumerate(xi))))

def main():
    mode, train, test, C, gamma, tol = sys.argv[1:7]
    C, tol = float(C), float(tol)
    Xtr, ytr = load(train)
    Xte, yte = load(test)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd[sd == 0] = 1
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    tmp = tempfile.mkdtemp()
    ftr, fte = os.path.join(tmp, "train"), os.path.join(tmp, "test")
    write_svmlight(ftr, Xtr, ytr)
    write_svmlight(fte, Xte, yte)
    truth = np.where(yte > 0, 1, -1)

    def run(tool, train_cmd, predict_cmd, model):
        t0 = time.perf_counter()
        res = subprocess.run(train_cmd, check=True, stdout=subprocess.PIPE, text=True)
        dt = time.perf_counter() - t0
        iters = [l.split("=")[1].strip() for l in res.stdout.splitlines() if "#iter" in l]
        out = os.path.join(tmp, "pred")
        subprocess.run(predict_cmd + [fte, model, out], check=True, stdout=subprocess.DEVNULL)
        pred = np.array([int(float(l)) for l in open(out)])
        nsv = 0
        for line in open(model):
            if line.startswith("total_sv"):
                nsv = int(line.split()[1])
        print("%s %.3f %.4f %s" % (tool, dt, (pred == truth).mean(),
                                   ("it=" + iters[-1]) if iters else str(nsv)))

    if mode == "rbf":
        g = float(gamma)
        model = os.path.join(tmp, "model")
        run("libsvm", ["svm-train", "-q", "-t", "2", "-c", repr(C), "-g", repr(g), "-e", repr(tol),
                       "-m", "200", ftr, model], ["svm-predict"], model)
        from sklearn.svm import SVC
        t0 = time.perf_counter()
        clf = SVC(C=C, kernel="rbf", gamma=g, tol=tol, cache_size=200).fit(Xtr, ytr)
        dt = time.perf_counter() - t0
        acc = (clf.predict(Xte) == yte).mean()
        print("sklearn %.3f %.4f %d" % (dt, acc, clf.n_support_.sum()))
    else:
        model = os.path.join(tmp, "model")
        run("liblinear", ["liblinear-train", "-s", "3", "-B", "1", "-c", repr(C), "-e", repr(tol),
                          ftr, model], ["liblinear-predict"], model)

main()
