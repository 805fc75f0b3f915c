#!/usr/bin/python3
"""Accuracy of libsvm's svm-train on WDBC for a train/test split.

Usage: svm_libsvm_acc.py wdbc.csv test_ids.txt
test_ids.txt: one id per line (the test rows; every other row trains).
Standardizes with the training rows' mean and population deviation (as
pmed does), then runs svm-train -t 2 (C=1, gamma=1/p, eps=1e-3) and
svm-train -t 0 (C=1), and prints: kernel n_test correct accuracy.
"""
import csv, os, subprocess, sys, tempfile

def main():
    rows = list(csv.reader(open(sys.argv[1])))[1:]
    test = set(int(l) for l in open(sys.argv[2]) if l.strip())
    data = [(int(r[0]), [float(v) for v in r[1:31]], r[31]) for r in rows]
    train = [d for d in data if d[0] not in test]
    tst = [d for d in data if d[0] in test]
    p = 30
    mean = [sum(d[1][j] for d in train) / len(train) for j in range(p)]
    sd = [(sum((d[1][j] - mean[j]) ** 2 for d in train) / len(train)) ** 0.5 for j in range(p)]
    tmp = tempfile.mkdtemp()
    def write(name, ds):
        with open(os.path.join(tmp, name), "w") as f:
            for _, x, y in ds:
                f.write("%d %s\n" % (1 if y == "malignant" else -1,
                        " ".join("%d:%.17g" % (j + 1, (x[j] - mean[j]) / sd[j]) for j in range(p))))
    write("train", train)
    write("test", tst)
    for name, args in (("rbf", ["-t", "2", "-c", "1", "-g", repr(1.0 / p), "-e", "0.001"]),
                       ("linear", ["-t", "0", "-c", "1", "-e", "0.001"])):
        model = os.path.join(tmp, "model." + name)
        out = os.path.join(tmp, "out." + name)
        subprocess.run(["svm-train", "-q"] + args + [os.path.join(tmp, "train"), model], check=True)
        subprocess.run(["svm-predict", os.path.join(tmp, "test"), model, out], check=True,
                       stdout=subprocess.DEVNULL)
        pred = [int(float(l)) for l in open(out)]
        truth = [1 if y == "malignant" else -1 for _, _, y in tst]
        correct = sum(a == b for a, b in zip(pred, truth))
        print("%s %d %d %.6f" % (name, len(tst), correct, correct / len(tst)))

main()
