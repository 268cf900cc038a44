"""Bayesian optimisation of Python callables through mbi's searchers."""
import pytest

import mbi


def test_bo_finds_the_maximum_of_a_quadratic():
    f = lambda x: -((x[0] - 1.5) ** 2) - (x[1] + 0.5) ** 2
    dims = [mbi.Dimension("a", -4, 4), mbi.Dimension("b", -4, 4)]
    result = mbi.maximize(f, dims, budget=30, seed=3)
    assert len(result["trials"]) == 30
    assert result["best_y"] > -0.05
    assert result["best_x"][0] == pytest.approx(1.5, abs=0.25) and result["best_x"][1] == pytest.approx(-0.5, abs=0.25)
    assert [t["best_y"] for t in result["trials"]] == sorted(t["best_y"] for t in result["trials"])


def test_bo_beats_random_search_at_the_same_budget():
    f = lambda x: (x[0] - 0.3) ** 2 + (x[1] - 0.7) ** 2 + (x[2] - 0.1) ** 2
    dims = [mbi.Dimension(n, 0, 1) for n in "xyz"]
    bo = [mbi.minimize(f, dims, budget=25, seed=s)["best_y"] for s in range(3)]
    rnd = [mbi.minimize(f, dims, budget=25, method="random", seed=s)["best_y"] for s in range(3)]
    assert sum(bo) < sum(rnd)


def test_same_seed_same_trials_and_integer_log_dimensions():
    dims = [mbi.Dimension("n", 1, 9, integer=True), mbi.Dimension("lr", 1e-4, 1e-1, log_scale=True)]
    f = lambda x: -abs(x[0] - 4) - abs(x[1] - 0.01) * 10
    a, b = mbi.maximize(f, dims, budget=12, seed=7), mbi.maximize(f, dims, budget=12, seed=7)
    assert a["trials"] == b["trials"]
    assert all(float(t["x"][0]).is_integer() and 1e-4 <= t["x"][1] <= 1e-1 for t in a["trials"])
    grid = mbi.maximize(f, dims, budget=9, method="grid")
    assert len(grid["trials"]) == 9


def test_a_python_exception_in_the_objective_propagates():
    def broken(x):
        raise KeyError("from the objective")

    with pytest.raises(KeyError):
        mbi.maximize(broken, [mbi.Dimension("x", 0, 1)], budget=3)
    with pytest.raises(mbi.Error):
        mbi.maximize(lambda x: x[0], [mbi.Dimension("x", 1, 0)], budget=3)
    with pytest.raises(mbi.Error):
        mbi.maximize(lambda x: x[0], [mbi.Dimension("x", 0, 1)], budget=0)
    with pytest.raises(mbi.Error):
        mbi.maximize(lambda x: float("nan"), [mbi.Dimension("x", 0, 1)], budget=2)


def test_help_shows_docstrings():
    assert "nearest" in mbi.Table.search.__doc__
    assert "numpy.uint8" in mbi.Table.classify.__doc__
    assert "mbi eval --mode mbi" in mbi.Table.evaluate.__doc__
    assert "Bayesian" in mbi.maximize.__doc__
