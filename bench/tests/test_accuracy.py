"""bench/accuracy.py, the script behind the README's accuracy table: its rank statistics on
hand-made cases, and its figures on the committed tiny-random fixture against a second
computation from the same `crossenc score` output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE_DIR / "bench"))
import accuracy  # noqa: E402

MODEL = SOURCE_DIR / "tests" / "data" / "tiny-random"
FIXTURE = SOURCE_DIR / "tests" / "data" / "ranking_tiny_dl19.jsonl"  # 3 queries x 30 pairs


def cli():
    path = os.environ.get("CROSSENC_CLI")
    if not path or not Path(path).is_file():
        pytest.fail("CROSSENC_CLI must name the crossenc binary (ctest sets it)")
    return path


def test_ties_take_the_mean_of_their_positions():
    assert accuracy.ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]


def test_spearman_and_top10_on_known_orders():
    up = list(range(12))
    assert accuracy.spearman(up, up) == pytest.approx(1.0)
    assert accuracy.spearman(up, up[::-1]) == pytest.approx(-1.0)
    assert accuracy.spearman([1, 1, 1], [1, 2, 3]) == 1.0  # no spread: nothing to disagree on
    assert accuracy.top10_overlap(up, up) == 10
    swapped = up[:]
    swapped[0], swapped[11] = swapped[11], swapped[0]  # the best one falls to last
    assert accuracy.top10_overlap(up, swapped) == 9


def test_worst_per_query_names_the_query():
    triples = [("a", x, x) for x in range(20)] + [("b", x, -x) for x in range(20)]
    queries, rho, top = accuracy.worst_per_query(triples)
    assert queries == 2
    assert rho == (pytest.approx(-1.0), "b")
    assert top == (0, "b")
    # Fewer than 10 pairs per query: no top-10 figure.
    assert accuracy.worst_per_query([("a", 1.0, 1.0), ("a", 2.0, 2.0)])[2] is None


def run_script(*args):
    return subprocess.run([sys.executable, str(SOURCE_DIR / "bench" / "accuracy.py"),
                           "--crossenc", cli(), *args], capture_output=True, text=True)


@pytest.mark.parametrize("dtype", ["f32", "int8"])
def test_figures_match_a_second_computation(dtype, tmp_path):
    r = run_script("--model", str(MODEL), "--golden", str(FIXTURE), "--dtype", dtype, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    out = tmp_path / "scores.jsonl"
    subprocess.run([cli(), "score", "-m", str(MODEL), "--dtype", dtype, "-i", str(FIXTURE),
                    "-o", str(out)], check=True, capture_output=True)
    lines = [json.loads(s) for s in out.read_text().splitlines()]
    errors = [abs(l["score"] - l["logit"]) for l in lines]
    assert got["pairs"] == 90 and got["queries"] == 3 and got["dtype"] == dtype
    assert got["max_abs_err"] == max(errors)
    assert got["max_abs_err_line"] == errors.index(max(errors)) + 1
    signed = [l["score"] - l["logit"] for l in lines]
    assert got["mean_err"] == pytest.approx(sum(signed) / 90, rel=1e-12)
    assert got["rms_err"] == pytest.approx((sum(e * e for e in signed) / 90) ** 0.5, rel=1e-12)
    # Spearman as 1 - 6 sum d^2 / (n (n^2 - 1)): the scores of a query have no ties.
    worst = None
    for qid in {l["qid"] for l in lines}:
        q = [l for l in lines if l["qid"] == qid]
        n = len(q)
        rank = lambda key: {id(l): i for i, l in enumerate(sorted(q, key=lambda l: l[key]))}
        ra, rb = rank("logit"), rank("score")
        rho = 1 - 6 * sum((ra[id(l)] - rb[id(l)]) ** 2 for l in q) / (n * (n * n - 1))
        worst = min(worst or (2.0, 0), (rho, qid))
    assert got["worst_spearman"] == pytest.approx(worst[0], abs=1e-12)
    assert got["worst_spearman_qid"] == worst[1]
    if dtype == "f32":  # the fixture's references are float64 logits of this model
        assert got["max_abs_err"] < 1e-5 and got["worst_top10"] == 10  # measured: 6.1e-6


def test_a_failing_score_run_is_reported():
    r = run_script("--model", str(SOURCE_DIR / "no-such-model"), "--golden", str(FIXTURE))
    assert r.returncode != 0
    assert "failed" in r.stderr and "no-such-model" in r.stderr
