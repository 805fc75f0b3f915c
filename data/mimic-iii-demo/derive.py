#!/usr/bin/python3
"""Derive the admission x drug table shipped in this directory from the
MIMIC-III Clinical Database Demo v1.4 PRESCRIPTIONS.csv (ODbL).

    /usr/bin/python3 data/mimic-iii-demo/derive.py /path/to/PRESCRIPTIONS.csv

Writes drugs.csv (drug_id, drug, n_orders, features) and admission_drugs.csv
(hadm_id, subject_id, drug_id, n_orders).  Drug names are lower(trim(drug));
ids are 1..N in byte order of the names, so the map is deterministic.
Features (content model) are, per drug, the share of its orders by route
group, drug_type and dose-unit group (16 numbers, each group sums to 1).
"""
import collections
import csv
import sys

ROUTES = [
    ("iv", {"IV", "IV DRIP", "IV BOLUS", "IVPCA", "PB", "IVS", "IV PUSH"}),
    ("oral", {"PO", "PO/NG", "NG", "ORAL", "SL", "OG", "PO OR ENTERAL TUBE", "J TUBE", "G TUBE"}),
    ("subcutaneous", {"SC", "SUBCUT"}),
    ("intramuscular", {"IM"}),
    ("inhaled", {"IH", "NEB", "INHALATION"}),
    ("rectal", {"PR"}),
]
TYPES = ["MAIN", "BASE", "ADDITIVE"]
UNITS = [
    ("mass", {"mg", "mcg", "g", "gm", "mg PE", "mcg/hr", "mg/hr"}),
    ("volume", {"ml", "mL"}),
    ("equivalents", {"mEq", "mmol"}),
    ("units", {"UNIT", "UNITS", "Units"}),
    ("dose_form", {"TAB", "CAP", "NEB", "PUFF", "VIAL", "PKT", "DROP", "BAG", "SYR", "PTCH", "INH", "AMP", "Appl", "SUPP", "LOZ"}),
]
FEATURE_NAMES = ([f"route_{r}" for r, _ in ROUTES] + ["route_other"] +
                 [f"type_{t.lower()}" for t in TYPES] +
                 [f"unit_{u}" for u, _ in UNITS] + ["unit_other"])


def group(value, groups):
    for i, (_, members) in enumerate(groups):
        if value in members:
            return i
    return len(groups)


def main(path):
    rows = list(csv.DictReader(open(path, newline="")))
    names = sorted({r["drug"].strip().lower() for r in rows if r["drug"].strip()},
                   key=lambda s: s.encode())
    ids = {n: i + 1 for i, n in enumerate(names)}
    feats = collections.defaultdict(lambda: [0.0] * len(FEATURE_NAMES))
    orders = collections.Counter()
    adm = collections.Counter()
    subject = {}
    nr, nt = len(ROUTES) + 1, len(TYPES)
    for r in rows:
        name = r["drug"].strip().lower()
        if not name or not r["hadm_id"]:
            continue
        d = ids[name]
        f = feats[d]
        f[group(r["route"], ROUTES)] += 1
        if r["drug_type"] in TYPES:
            f[nr + TYPES.index(r["drug_type"])] += 1
        f[nr + nt + group(r["dose_unit_rx"], UNITS)] += 1
        orders[d] += 1
        adm[(int(r["hadm_id"]), d)] += 1
        subject[int(r["hadm_id"])] = int(r["subject_id"])
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    with open(f"{here}/drugs.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["drug_id", "drug", "n_orders", "features"])
        for n in names:
            d = ids[n]
            f = feats[d]
            parts = []
            for lo, hi in ((0, nr), (nr, nr + nt), (nr + nt, len(FEATURE_NAMES))):
                s = sum(f[lo:hi])
                parts += [(x / s if s else 0.0) for x in f[lo:hi]]
            w.writerow([d, n, orders[d], "{" + ",".join(f"{x:.6g}" for x in parts) + "}"])
    with open(f"{here}/admission_drugs.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["hadm_id", "subject_id", "drug_id", "n_orders"])
        for (h, d), c in sorted(adm.items()):
            w.writerow([h, subject[h], d, c])
    print(len(names), "drugs,", len(adm), "admission-drug pairs,", len(subject), "admissions")
    print("features:", ",".join(FEATURE_NAMES))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "PRESCRIPTIONS.csv")
