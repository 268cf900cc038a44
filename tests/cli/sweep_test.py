#!/usr/bin/env python3
"""The sweep runner through `mbi experiment fig3` on generated 12x20 images (issue 22).

One process, two Open MPI ranks (`mpirun -np 2`) and two local workers must write the same
CSV, byte for byte; a sweep missing a trial runs only that one; a corrupt trial result and
a folder made with other settings are refused with one line naming the file.

Usage: sweep_test.py MBI_BINARY [MPIEXEC]   (without MPIEXEC the MPI checks fail: CI has it)
"""
import filecmp
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generated_idx import make_data  # noqa: E402

MBI = sys.argv[1]
MPIEXEC = sys.argv[2] if len(sys.argv) > 2 else ""
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(args, prefix=()):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return subprocess.run([*prefix, *args], capture_output=True, text=True, env=env)


def fig3(data, out, *extra, prefix=()):
    args = [MBI, "experiment", "fig3", "--data", data, "--series", "layers,hidden-bits", "--epochs", "1",
            "--table-images", "150", "--dagger-rounds", "1", "--budget", "2", "--threads", "1", "--out", out,
            "--no-progress", "--json", *extra]
    return run(args, prefix)


def summary_of(result, what):
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit("FAIL " + what + ": exit " + str(result.returncode))
    return json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None


def same_csv(a, b):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a, "*.csv")))
    return len(names) >= 3 and all(filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names)


work = tempfile.mkdtemp(prefix="mbi_sweep_")
try:
    data = make_data(work, 400, 100)

    one = os.path.join(work, "one")
    s1 = summary_of(fig3(data, one), "one process")
    total = s1["trials"]["total"]
    check(total == 8 and s1["ranks"] == 1, "one process: 8 distinct teachers (3 layer counts, 6 hidden bits, base shared)")
    check(os.path.exists(os.path.join(one, "fig3b.png")) and os.path.exists(os.path.join(one, "fig3c.png")),
          "one process: the panels' plots")

    if MPIEXEC:
        two = os.path.join(work, "mpi")
        s2 = summary_of(fig3(data, two, prefix=(MPIEXEC, "--oversubscribe", "-np", "2")), "mpirun -np 2")
        check(s2 is not None and s2["ranks"] == 2, "mpirun -np 2: rank 0 writes the summary of a 2-rank run")
        check(s2 is not None and s2["trials"]["ran_by_rank_0"] < total, "mpirun -np 2: rank 1 ran some of the trials")
        check(same_csv(one, two), "mpirun -np 2: the same CSV as one process, byte for byte")

        # A killed sweep resumes: remove one trial's result, run again, only it runs.
        victim = sorted(glob.glob(os.path.join(two, "trials", "*.trial")))[0]
        os.remove(victim)
        s3 = summary_of(fig3(data, two, prefix=(MPIEXEC, "--oversubscribe", "-np", "2")), "mpirun resume")
        check(s3["trials"]["found"] == total - 1, "resume: the stored trials are found, not run again")
        check(same_csv(one, two), "resume: the same CSV again")
    else:
        check(False, "mpirun: no MPIEXEC given (scripts/setup.sh installs openmpi-bin)")

    local = os.path.join(work, "local")
    s4 = summary_of(fig3(data, local, "--workers", "2"), "--workers 2")
    check(s4["ranks"] == 2 and same_csv(one, local), "--workers 2: two local processes, the same CSV as one process")

    # Fig. 4(a) on the same runner: one trial per fraction.
    model = os.path.join(work, "m.pt")
    summary_of(run([MBI, "train", "--data", data, "--epochs", "1", "--threads", "1", "--out", model, "--run-dir",
                    os.path.join(work, "run"), "--no-progress", "--json"]), "train")
    fig4a = [MBI, "experiment", "fig4a", "--data", data, "--model", model, "--fractions", "0.3,0.6,1", "--budget", "2",
             "--threads", "1", "--no-progress", "--json"]
    a1, a2 = os.path.join(work, "fig4a-one"), os.path.join(work, "fig4a-two")
    summary_of(run(fig4a + ["--out", a1]), "fig4a one process")
    if MPIEXEC:
        summary_of(run(fig4a + ["--out", a2], (MPIEXEC, "--oversubscribe", "-np", "2")), "fig4a mpirun -np 2")
    else:
        summary_of(run(fig4a + ["--out", a2, "--workers", "2"]), "fig4a --workers 2")
    check(filecmp.cmp(os.path.join(a1, "fig4a.csv"), os.path.join(a2, "fig4a.csv"), shallow=False),
          "fig4a on two ranks: the same CSV as one process")
    check(len(glob.glob(os.path.join(a2, "trials", "*.trial"))) == 3, "fig4a: one stored trial per fraction")

    # Refusals: one line naming the file, non-zero exit, nothing else written.
    trial = sorted(glob.glob(os.path.join(local, "trials", "*.trial")))[0]
    with open(trial, "r+b") as f:
        f.seek(-3, os.SEEK_END)
        f.write(b"#")
    bad = fig3(data, local)
    lines = bad.stderr.strip().splitlines()
    check(bad.returncode != 0 and len(lines) == 1 and os.path.basename(trial) in lines[0] and "corrupt" in lines[0],
          "a corrupt trial result: one line naming it (" + (lines[-1] if lines else "") + ")")
    other = fig3(data, one, "--lr", "0.002")
    lines = other.stderr.strip().splitlines()
    check(other.returncode != 0 and len(lines) == 1 and "another configuration" in lines[0],
          "a folder of other settings: refused (" + (lines[-1] if lines else "") + ")")
    check(not run([MBI, "experiment", "fig3", "--data", data, "--panels", "d", "--out", os.path.join(work, "x")]).returncode == 0
          and not os.path.exists(os.path.join(work, "x")), "--panels d: refused, nothing written")
finally:
    shutil.rmtree(work, ignore_errors=True)

if failures:
    raise SystemExit(str(len(failures)) + " check(s) failed")
print("all sweep checks passed")
