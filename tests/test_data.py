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


# --- the real sets, read from scikit-learn's bundled files -----------------------------------

REAL = ["digits", "iris", "wine", "breast-cancer", "diabetes"]


@pytest.mark.parametrize("name", REAL)
def test_real_sets_hold_the_rows_scikit_learn_loads(name):
    """Our reading of the bundled files against scikit-learn's own loaders."""
    sk = pytest.importorskip("sklearn.datasets")
    loader = {"digits": sk.load_digits, "iris": sk.load_iris, "wine": sk.load_wine,
              "breast-cancer": sk.load_breast_cancer,
              "diabetes": lambda: sk.load_diabetes(scaled=False)}[name]
    want = loader()
    from actlab.blocks.data.bundled import read_raw

    x, y, classes = read_raw(name)
    np.testing.assert_array_equal(x, want.data)
    np.testing.assert_array_equal(y.ravel(), want.target)
    assert data.BUNDLED[name].features == tuple(map(str, want.feature_names))
    if name != "diabetes":
        assert classes == tuple(map(str, want.target_names))


@pytest.mark.parametrize("name", REAL)
def test_real_split_is_a_stratified_partition_and_seeded(name):
    ds = data.load_bundled(name, seed=3)
    again = data.load_bundled(name, seed=3)
    other = data.load_bundled(name, seed=4)
    np.testing.assert_array_equal(ds.x_test, again.x_test)
    assert not np.array_equal(ds.x_test, other.x_test)
    n = data.DATASETS[name].samples
    assert len(ds.x_train) + len(ds.x_test) == n and len(ds.x_test) == round(0.25 * n)
    if ds.task != "regression":
        y = np.concatenate([ds.y_train, ds.y_test])
        share = np.bincount(y) / len(y)
        test_share = np.bincount(ds.y_test, minlength=len(share)) / len(ds.y_test)
        assert np.abs(test_share - share).max() <= 1.0 / len(ds.y_test) + 1e-12  # each class keeps its share


def test_digits_pixels_in_unit_interval_and_tabular_sets_standardized():
    digits = data.load_bundled("digits")
    assert digits.image == (8, 8) and digits.x_train.min() == 0 and digits.x_train.max() == 1
    from actlab.blocks.data.bundled import read_raw

    raw, _, _ = read_raw("digits")
    assert raw.max() == 16  # the files hold 0..16
    iris = data.load_bundled("iris")
    np.testing.assert_allclose(iris.x_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(iris.x_train.std(0), 1, atol=1e-12)
    # the recorded scaling maps raw rows to what the network saw
    x, _, _ = read_raw("iris")
    rows = [np.flatnonzero((np.abs((x - iris.shift) / iris.scale - r) < 1e-12).all(1)) for r in iris.x_test[:5]]
    assert all(len(r) >= 1 for r in rows)


def test_digit_subsets_are_the_course_tasks():
    two = data.load_bundled("digits", digits=(0, 1))
    assert two.task == "binary" and two.n_outputs == 1 and two.target_names == ("0", "1")
    assert len(two.x_train) + len(two.x_test) == 360  # 178 zeros and 182 ones in the UCI set
    three, _ = data.load(data.Request(name="digits", digits=(8, 3, 5)))
    assert three.task == "multi-class" and three.target_names == ("3", "5", "8") and three.n_outputs == 3
    from actlab.blocks.data.bundled import read_raw

    x, y, _ = read_raw("digits")
    # class id k is the k-th digit in increasing order: check rows against the raw labels
    for row, k in zip(three.x_test[:20], three.y_test[:20]):
        match = np.flatnonzero((np.abs(x / 16 - row) < 1e-12).all(1))
        assert set(y[match]) == {(3, 5, 8)[k]}


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "digits", "digits": (3,)}, "two or more"),
    ({"name": "digits", "digits": (1, 1)}, "two or more"),
    ({"name": "digits", "digits": (0, 12)}, "from 0 to 9"),
    ({"name": "moons", "digits": (0, 1)}, "--digits goes with the digits set"),
    ({"name": "digts"}, "did you mean 'digits'"),
    ({"name": "iris", "train_frac": 0.0}, "--train-frac"),
])
def test_bad_requests(kwargs, match):
    with pytest.raises(ActlabError, match=match):
        data.Request(**kwargs)


def test_train_frac_keeps_the_test_rows_and_each_class():
    full, _ = data.load(data.Request(name="digits", seed=1))
    part, _ = data.load(data.Request(name="digits", seed=1, train_frac=0.1))
    np.testing.assert_array_equal(part.x_test, full.x_test)
    assert len(part.x_train) == round(0.1 * len(full.x_train))
    assert set(np.unique(part.y_train)) == set(range(10))
    rows = {r.tobytes() for r in full.x_train}
    assert all(r.tobytes() in rows for r in part.x_train)


def test_real_sets_load_without_importing_sklearn():
    import subprocess
    import sys

    code = ("import sys; from actlab.blocks import data; data.load_bundled('digits'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- CSV: numpy's parser, the careful reader on failure ---------------------------------------


def test_csv_fast_and_careful_readers_agree(tmp_path):
    from actlab.blocks.data import csvfile

    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 3))
    text = "a,b,c\n" + "".join(f"{float(u)!r},{float(v)!r},{float(w)!r}\n" for u, v, w in values)
    p = write(tmp_path, text)
    header, fast, line = data.read_table(p)
    h2, careful, line2 = csvfile._read_carefully(p, text)
    assert header == h2 == ["a", "b", "c"] and line == line2 == 1
    np.testing.assert_array_equal(fast, values)  # repr round-trips: the exact doubles
    np.testing.assert_array_equal(careful, values)


def test_csv_oddities_the_fast_path_hands_over(tmp_path):
    """Blank lines, a BOM, quoted numbers and rows of empty cells: the careful
    reader's rules, whichever reader answers."""
    p = write(tmp_path, "\ufeff\n x , y \n1,2\n\n,\n\"3\",4\n")
    header, values, line = data.read_table(p)
    assert header == ["x", "y"] and line == 2
    np.testing.assert_array_equal(values, [[1, 2], [3, 4]])


def test_csv_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("x,caf\u00e9\n1,2\n".encode("latin-1"))  # byte 5 is 0xe9, no UTF-8
    with pytest.raises(ActlabError, match=r"not UTF-8 text \(byte 5\)"):
        data.read_table(p)


def test_csv_multilabel_with_one_target_column_is_refused(tmp_path):
    p = write(tmp_path, "x,t1,t2\n0.5,1,0\n0.1,1,1\n0.3,0,1\n0.9,0,0\n")
    with pytest.raises(ActlabError, match=r"every label column.*inputs \(x, t2\)"):
        data.load_csv(p, ["t1"], task="multi-label")
