"""Random forest benchmark: pmed against ranger, XGBoost (RF mode, hist) and
scikit-learn, one thread each, same trees / mtry / leaf size.  Run through
test/bench/forest.sh, which sets the sizes.  Prints Markdown tables."""
import csv, os, shutil, subprocess, sys, tempfile, time
import numpy as np

ROWS = int(os.environ.get("FOREST_BENCH_ROWS", "100000"))
SCORE_ROWS = int(os.environ.get("FOREST_BENCH_SCORE_ROWS", "1000000"))
TREES = int(os.environ.get("FOREST_BENCH_TREES", "100"))
P = 30
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TMP = tempfile.mkdtemp(prefix="pmed-forest-bench.")


def psql(sql, timing=False):
    """Run SQL; with timing, return the milliseconds of the last statement."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"]
    script = ("\\timing on\n" if timing else "") + sql
    out = subprocess.run(cmd, input=script, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        sys.exit("psql failed: " + out.stderr)
    if timing:
        times = [float(l.split()[1]) for l in out.stdout.splitlines() if l.startswith("Time:")]
        rest = [l for l in out.stdout.splitlines() if not l.startswith("Time:")]
        return times[-1] / 1000.0, rest
    return out.stdout.splitlines()


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, P))
    f = (X[:, 0] + X[:, 1] * X[:, 2] - 0.5 * X[:, 3] ** 2 + np.sin(2 * X[:, 4])
         + 0.5 * X[:, 5] + 0.3 * X[:, 6] * X[:, 7])
    yc = (f + 0.5 * rng.normal(size=n) > 0).astype(int)
    yr = 2 * f + rng.normal(size=n)
    return X, yc, yr


def write_csv(path, X, y):
    with open(path, "w") as fh:
        fh.write(",".join(["x%d" % j for j in range(X.shape[1])] + ["y"]) + "\n")
        for row, t in zip(X, y):
            fh.write(",".join("%.17g" % v for v in row) + ",%s\n" % repr(t))


def write_tsv(path, X, y):
    with open(path, "w") as fh:
        for i, (row, t) in enumerate(zip(X, y)):
            fh.write("%d\t{%s}\t%s\n" % (i, ",".join("%.17g" % v for v in row), repr(t)))


def run_ranger(tr, te, task, mtry, min_leaf):
    out = subprocess.run(["Rscript", os.path.join(HERE, "forest_ranger.R"), tr, te, task,
                          str(TREES), str(mtry), str(min_leaf)], capture_output=True, text=True)
    if out.returncode != 0:
        return None, None
    s, m = out.stdout.strip().splitlines()[-1].split()
    return float(s), float(m)


def run_sklearn(Xtr, ytr, Xte, yte, task, mtry, min_leaf):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    cls = RandomForestClassifier if task == "class" else RandomForestRegressor
    m = cls(n_estimators=TREES, max_features=mtry, min_samples_leaf=min_leaf, n_jobs=1, random_state=7)
    t0 = time.perf_counter()
    m.fit(Xtr, ytr)
    secs = time.perf_counter() - t0
    return secs, metric(task, m.predict(Xte), yte)


def run_xgboost(Xtr, ytr, Xte, yte, task, mtry, min_leaf):
    import xgboost as xgb
    common = dict(n_estimators=TREES, tree_method="hist", colsample_bynode=mtry / Xtr.shape[1],
                  subsample=0.632, max_depth=0, grow_policy="lossguide", max_leaves=0,
                  nthread=1, random_state=7, min_child_weight=min_leaf if task == "reg" else 1)
    m = xgb.XGBRFClassifier(**common) if task == "class" else xgb.XGBRFRegressor(**common)
    t0 = time.perf_counter()
    m.fit(Xtr, ytr)
    secs = time.perf_counter() - t0
    return secs, metric(task, m.predict(Xte), yte)


def metric(task, pred, y):
    pred = np.asarray(pred)
    if task == "class":
        return float(np.mean(pred == y))
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def run_pmed(table, task, mtry, min_leaf):
    label = "yc" if task == "class" else "yr"
    opts = '{"trees": %d, "mtry": %d, "min_leaf": %d, "seed": 7}' % (TREES, mtry, min_leaf)
    secs, _ = psql("SET max_parallel_workers_per_gather = 0;\n"
                   "DROP TABLE IF EXISTS %s_model_%s;\n"
                   "CREATE TABLE %s_model_%s AS SELECT pmed.forest_train(f, %s, '%s') AS m FROM %s_train;\n"
                   % (table, task, table, task, label, opts, table), timing=True)
    if task == "class":
        q = ("SELECT avg((pmed.predict_label(m, f) = yc::text)::int) FROM %s_test, %s_model_class" % (table, table))
    else:
        q = ("SELECT sqrt(avg((pmed.predict(m, f) - yr)^2)) FROM %s_test, %s_model_reg" % (table, table))
    return secs, float(psql(q + ";\n")[0])


def load_pg(table, Xtr, yc_tr, yr_tr, Xte, yc_te, yr_te):
    for part, X, yc, yr in (("train", Xtr, yc_tr, yr_tr), ("test", Xte, yc_te, yr_te)):
        path = os.path.join(TMP, "%s_%s.tsv" % (table, part))
        with open(path, "w") as fh:
            for i in range(len(X)):
                fh.write("%d\t{%s}\t%d\t%r\n" % (i, ",".join("%.17g" % v for v in X[i]), yc[i], float(yr[i])))
        psql("DROP TABLE IF EXISTS %s_%s;\nCREATE TABLE %s_%s (id int, f float8[], yc int, yr float8);\n"
             "\\copy %s_%s FROM '%s'\nVACUUM ANALYZE %s_%s;\n" % (table, part, table, part, table, part, path, table, part))


def bench_set(name, table, Xtr, yc_tr, yr_tr, Xte, yc_te, yr_te, tasks):
    rows = []
    load_pg(table, Xtr, yc_tr, yr_tr, Xte, yc_te, yr_te)
    p = Xtr.shape[1]
    for task in tasks:
        ytr, yte = (yc_tr, yc_te) if task == "class" else (yr_tr, yr_te)
        mtry = int(np.sqrt(p)) if task == "class" else max(1, p // 3)
        min_leaf = 1 if task == "class" else 5
        trcsv = os.path.join(TMP, "%s_%s_train.csv" % (table, task))
        tecsv = os.path.join(TMP, "%s_%s_test.csv" % (table, task))
        write_csv(trcsv, Xtr, ytr)
        write_csv(tecsv, Xte, yte)
        res = {"pmed": run_pmed(table, task, mtry, min_leaf),
               "ranger": run_ranger(trcsv, tecsv, task, mtry, min_leaf),
               "xgboost rf (hist)": run_xgboost(Xtr, ytr, Xte, yte, task, mtry, min_leaf),
               "scikit-learn": run_sklearn(Xtr, ytr, Xte, yte, task, mtry, min_leaf)}
        rows.append((name, task, len(Xtr), mtry, min_leaf, res))
    return rows


def main():
    print("# pmed forest benchmark: %d training rows x %d features, %d trees, one thread each\n"
          % (ROWS, P, TREES))
    X, yc, yr = make_data(ROWS + ROWS // 4, 1)
    results = bench_set("generated", "fb_gen", X[:ROWS], yc[:ROWS], yr[:ROWS],
                        X[ROWS:], yc[ROWS:], yr[ROWS:], ["class", "reg"])

    # WDBC: test rows id % 5 = 0
    with open(os.path.join(REPO, "data/wdbc/wdbc.csv")) as fh:
        r = list(csv.reader(fh))[1:]
    ids = np.array([int(x[0]) for x in r])
    W = np.array([[float(v) for v in x[1:31]] for x in r])
    wy = np.array([1 if x[31] == "malignant" else 0 for x in r])
    te = ids % 5 == 0
    results += bench_set("wdbc", "fb_wdbc", W[~te], wy[~te], wy[~te].astype(float),
                         W[te], wy[te], wy[te].astype(float), ["class"])

    print("| data | task | rows | mtry | min_leaf | tool | train s | x pmed | test accuracy / RMSE |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|")
    for name, task, n, mtry, ml, res in results:
        base = res["pmed"][0]
        for tool, (secs, m) in res.items():
            if secs is None:
                print("| %s | %s | %d | %d | %d | %s | n/a | | |" % (name, task, n, mtry, ml, tool))
                continue
            print("| %s | %s | %d | %d | %d | %s | %.3f | %.1f | %.4f |"
                  % (name, task, n, mtry, ml, tool, secs, secs / base, m))

    # Scoring: SCORE_ROWS rows with the generated-data forests, against the scan floor.
    psql("DROP TABLE IF EXISTS fb_score;\n"
         "CREATE TABLE fb_score AS SELECT f FROM fb_gen_test, generate_series(1, %d) g LIMIT %d;\n"
         "VACUUM ANALYZE fb_score;\n" % (SCORE_ROWS // max(1, ROWS // 4) + 1, SCORE_ROWS))
    pre = "SET max_parallel_workers_per_gather = 0;\n"
    floor, _ = psql(pre + "SELECT sum(f[1]) FROM fb_score;\n" * 2, timing=True)
    print("\n| scoring %d rows, one core | seconds | minus scan floor |" % SCORE_ROWS)
    print("|---|---:|---:|")
    print("| scan floor: SELECT sum(f[1]) | %.3f | |" % floor)
    psql("DROP TABLE IF EXISTS fb_gen_model_d10;\n"
         "CREATE TABLE fb_gen_model_d10 AS SELECT pmed.forest_train(f, yc, '{\"trees\": %d, \"max_depth\": 10, \"seed\": 7}') AS m FROM fb_gen_train;\n" % TREES)
    psql("DROP TABLE IF EXISTS fb_wdbc_score;\n"
         "CREATE TABLE fb_wdbc_score AS SELECT f FROM fb_wdbc_train, generate_series(1, %d) g LIMIT %d;\n"
         "VACUUM ANALYZE fb_wdbc_score;\n" % (SCORE_ROWS // 400 + 1, SCORE_ROWS))
    wfloor, _ = psql(pre + "SELECT sum(f[1]) FROM fb_wdbc_score;\n" * 2, timing=True)
    wsecs, _ = psql(pre + "SELECT sum(pmed.predict_proba((SELECT m FROM fb_wdbc_model_class), f)) FROM fb_wdbc_score;\n" * 2,
                    timing=True)
    print("| scan floor, WDBC rows repeated | %.3f | |" % wfloor)
    print("| pmed.predict_proba, WDBC forest (%s nodes) | %.3f | %.3f |"
          % (psql("SELECT pmed.model_info(m)->>'nodes' FROM fb_wdbc_model_class;\n")[0], wsecs, wsecs - wfloor))
    for label, q in (("pmed.predict, classification forest", "SELECT sum(pmed.predict((SELECT m FROM fb_gen_model_class), f)) FROM fb_score"),
                     ("pmed.predict_proba, classification forest", "SELECT sum(pmed.predict_proba((SELECT m FROM fb_gen_model_class), f)) FROM fb_score"),
                     ("pmed.predict, regression forest", "SELECT sum(pmed.predict((SELECT m FROM fb_gen_model_reg), f)) FROM fb_score"),
                     ("pmed.predict_proba, classification forest, max_depth 10", "SELECT sum(pmed.predict_proba((SELECT m FROM fb_gen_model_d10), f)) FROM fb_score")):
        secs, _ = psql(pre + (q + ";\n") * 2, timing=True)
        print("| %s | %.3f | %.3f |" % (label, secs, secs - floor))
    info = psql("SELECT pmed.model_info(m)->>'nodes', pmed.model_info(m)->'depth'->>'mean' FROM fb_gen_model_class;\n"
                "SELECT pmed.model_info(m)->>'nodes', pmed.model_info(m)->'depth'->>'mean' FROM fb_gen_model_reg;\n"
                "SELECT pmed.model_info(m)->>'nodes', pmed.model_info(m)->'depth'->>'mean' FROM fb_gen_model_d10;\n"
                "SELECT round(avg((pmed.predict_label((SELECT m FROM fb_gen_model_d10), f) = yc::text)::int), 4) FROM fb_gen_test;\n")
    print("\nforest sizes (nodes|mean of tree depths): classification %s, regression %s, classification max_depth 10 %s"
          " (its test accuracy %s)" % (info[0], info[1], info[2], info[3]))
    psql("DROP TABLE fb_score, fb_gen_train, fb_gen_test, fb_wdbc_train, fb_wdbc_test, "
         "fb_gen_model_class, fb_gen_model_reg, fb_gen_model_d10, fb_wdbc_model_class, fb_wdbc_score;\n")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
