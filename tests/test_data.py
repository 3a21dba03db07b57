"""Toy datasets and CSV loading: checked against the geometry that defines each set."""

import numpy as np
import pytest

from actlab.blocks import data
from actlab.errors import ActlabError

GENERATED = [n for n in data.names() if n not in data.LOGIC_GATES and n not in data.BUNDLED]


def test_logic_gates_are_their_truth_tables():
    for name, op in [("xor", np.logical_xor), ("and", np.logical_and), ("or", np.logical_or)]:
        ds = data.make_dataset(name)
        a, b = ds.x_train[:, 0] == 1, ds.x_train[:, 1] == 1
        np.testing.assert_array_equal(ds.y_train, op(a, b).astype(int))
        assert ds.x_train.shape == (4, 2) and not ds.has_test
        assert sorted(map(tuple, ds.x_train)) == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_points_other_seed_other_points(name):
    a = data.make_dataset(name, seed=3)
    b = data.make_dataset(name, seed=3)
    c = data.make_dataset(name, seed=4)
    for u, v in zip(a[2:6], b[2:6]):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", GENERATED)
def test_split_is_a_partition(name):
    ds = data.make_dataset(name, samples=100, test_frac=0.2)
    assert ds.has_test and len(ds.x_test) == 20 and len(ds.x_train) == 80
    rows = {tuple(r) for r in np.concatenate([ds.x_train, ds.x_test])}
    assert len(rows) == 100
    assert not ({tuple(r) for r in ds.x_train} & {tuple(r) for r in ds.x_test})


def test_test_frac_zero_means_no_split():
    ds = data.make_dataset("moons", samples=50, test_frac=0)
    assert not ds.has_test and len(ds.x_train) == 50


def test_circles_inner_class_is_the_inner_disc():
    ds = data.make_dataset("circles", samples=1000, test_frac=0)
    r = np.hypot(ds.x_train[:, 0], ds.x_train[:, 1])
    assert np.mean((r < 0.75) == (ds.y_train == 1)) > 0.99


def test_xor_noisy_labels_follow_the_quadrant_of_the_corner():
    ds = data.make_dataset("xor-noisy", samples=1000, noise=0.05, test_frac=0)
    corner = (ds.x_train > 0.5).astype(int)
    assert np.mean((corner[:, 0] ^ corner[:, 1]) == ds.y_train) > 0.99


@pytest.mark.parametrize("name,k", [("spiral", 3), ("spiral", 5), ("blobs", 4)])
def test_multiclass_sets_have_k_classes(name, k):
    ds = data.make_dataset(name, classes=k, samples=400)
    assert ds.task == "multi-class" and ds.n_outputs == k
    assert set(np.unique(np.concatenate([ds.y_train, ds.y_test]))) == set(range(k))


def test_blobs_points_are_nearest_their_own_centre():
    k = 4
    ds = data.make_dataset("blobs", classes=k, samples=800, noise=0.3, test_frac=0)
    angle = 2 * np.pi * np.arange(k) / k
    centres = 2 * np.stack([np.cos(angle), np.sin(angle)], 1)
    nearest = np.argmin(((ds.x_train[:, None, :] - centres[None]) ** 2).sum(-1), 1)
    assert np.mean(nearest == ds.y_train) > 0.99


def test_multilabel_labels_follow_their_rules_and_co_occur():
    ds = data.make_dataset("multilabel", samples=500, test_frac=0)
    x, y = ds.x_train, ds.y_train
    assert y.shape == (500, 3) and ds.task == "multi-label"
    np.testing.assert_array_equal(y[:, 0], x[:, 0] > 0)
    np.testing.assert_array_equal(y[:, 1], x[:, 1] > 0)
    np.testing.assert_array_equal(y[:, 2], np.hypot(x[:, 0], x[:, 1]) < 0.7)
    assert (y.sum(1) >= 2).mean() > 0.2  # several labels at once


def test_sine_is_sine_plus_noise():
    ds = data.make_dataset("sine", samples=2000, noise=0.1, test_frac=0)
    resid = ds.y_train[:, 0] - np.sin(ds.x_train[:, 0])
    assert abs(resid.std() - 0.1) < 0.01 and abs(resid.mean()) < 0.01


def test_parabola_is_non_negative():
    ds = data.make_dataset("parabola", samples=500, test_frac=0)
    assert ds.task == "non-negative-regression" and (ds.y_train >= 0).all()


@pytest.mark.parametrize("kwargs,match", [
    ({"samples": 2}, "--samples"), ({"noise": -1.0}, "--noise"), ({"classes": 1}, "--classes"),
    ({"test_frac": 1.0}, "--test-frac"),
])
def test_bad_generation_arguments(kwargs, match):
    name = "blobs"
    with pytest.raises(ActlabError, match=match):
        data.make_dataset(name, **kwargs)


def test_unknown_dataset_suggests():
    with pytest.raises(ActlabError, match="did you mean 'moons'"):
        data.make_dataset("mons")


# --- CSV -------------------------------------------------------------------------------------


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("column,task", [
    ("two", "binary"), ("few", "multi-class"), ("real", "regression"),
])
def test_csv_task_inference(tmp_path, column, task):
    rng = np.random.default_rng(0)
    rows = ["a,b,two,few,real"] + [
        f"{rng.normal():.4f},{rng.normal():.4f},{rng.choice([3, 7])},{rng.integers(0, 4)},{rng.normal():.5f}"
        for _ in range(60)]
    p = write(tmp_path, "\n".join(rows) + "\n")
    ds = data.load_csv(p, [column])
    assert ds.task == task
    assert ds.feature_names == tuple(c for c in ("a", "b", "two", "few", "real") if c != column)


def test_csv_binary_values_map_to_0_1_in_sorted_order(tmp_path):
    p = write(tmp_path, "x,y\n1,7\n2,3\n3,7\n4,3\n")
    ds = data.load_csv(p, ["y"], test_frac=0)
    np.testing.assert_array_equal(ds.y_train, [1, 0, 1, 0])
    assert ds.target_names == ("3", "7")


def test_csv_multilabel_inference(tmp_path):
    p = write(tmp_path, "x,t1,t2\n0.5,1,0\n0.1,1,1\n0.3,0,1\n0.9,0,0\n")
    ds = data.load_csv(p, ["t1", "t2"], test_frac=0)
    assert ds.task == "multi-label" and ds.y_train.shape == (4, 2) and ds.n_outputs == 2


def test_csv_task_override_and_refusal(tmp_path):
    p = write(tmp_path, "x,y\n1,0\n2,1\n3,2\n4,0.5\n")
    assert data.load_csv(p, ["y"], task="regression").task == "regression"
    with pytest.raises(ActlabError, match="non-integer"):
        data.load_csv(p, ["y"], task="multi-class")
    with pytest.raises(ActlabError, match="only 0 and 1"):
        data.load_csv(p, ["y"], task="multilabel")


@pytest.mark.parametrize("text,target,match", [
    ("a,b,y\n1,2,0\n3,4\n", "y", "line 3: 2 fields, the header has 3"),
    ("a,b,y\n1,2,0\n3,x4,1\n", "y", "line 3, column 2 \\('b'\\): 'x4' is not a finite number"),
    ("a,b,y\n1,2,0\n3,,1\n", "y", "line 3, column 2 \\('b'\\): an empty cell"),
    ("a,b,y\n1,2,0\n3,nan,1\n", "y", "line 3, column 2"),
    ("a,b,y\n1,2,0\n", "z", "line 1: no target column 'z'"),
    ("a,b,label\n1,2,0\n", "lable", "did you mean 'label'"),
    ("", "y", "empty"),
    ("a,b,y\n", "y", "no data rows"),
])
def test_malformed_csv_names_line_and_column(tmp_path, text, target, match):
    p = write(tmp_path, text)
    with pytest.raises(ActlabError, match=match):
        data.load_csv(p, [target])


def test_missing_file(tmp_path):
    with pytest.raises(ActlabError, match="does not exist"):
        data.load_csv(tmp_path / "nope.csv", ["y"])


def test_standardize_uses_training_statistics():
    ds = data.make_dataset("moons", samples=200)
    st, mean, std = data.standardize(ds)
    np.testing.assert_allclose(st.x_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(st.x_train.std(0), 1, atol=1e-12)
    np.testing.assert_allclose(st.x_test, (ds.x_test - ds.x_train.mean(0)) / ds.x_train.std(0))
