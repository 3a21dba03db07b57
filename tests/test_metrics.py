"""A classifier's answers (confusion matrix, per-class precision, recall and F1,
confident mistakes) and the overfitting judgement.

The figures of trained networks are recomputed here from their weights with a
plain-numpy forward pass and counted by hand, and compared with scikit-learn's
metrics when it is installed.
"""

import json

import numpy as np
import pytest

from actlab.blocks import activations, data
from actlab.cli import cli
from actlab.lab import metrics, setup, train


def np_probabilities(params, x, sigmoid=False):
    """The relu network's output probabilities in float64 numpy (softmax over
    several outputs unless ``sigmoid``)."""
    a = np.asarray(x, np.float64)
    for w, b in params[:-1]:
        a = np.maximum(a @ w + b, 0)
    w, b = params[-1]
    z = a @ w + b
    if z.shape[1] == 1 or sigmoid:
        return 1 / (1 + np.exp(-z))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def trained(name, **request):
    ds, _ = data.load(data.Request(name=name, seed=0, **request))
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam")
    return ds, train.train(config, ds, lr=setup.default_lr(ds, "adam"), seed=0)


@pytest.fixture(scope="module")
def digits():
    return trained("digits")


def hand_confusion(y, pred, k):
    m = np.zeros((k, k), int)
    for t, p in zip(y, pred):
        m[t, p] += 1
    return m


def test_digits_confusion_and_per_class_recomputed_from_the_weights(digits):
    ds, r = digits
    c = r.classification
    pred = np_probabilities(r.params, ds.x_test).argmax(1)
    np.testing.assert_array_equal(c.predicted, pred)
    m = hand_confusion(ds.y_test, pred, 10)
    np.testing.assert_array_equal(c.confusion, m)
    assert c.confusion.sum() == len(ds.y_test) and np.trace(m) / m.sum() == pytest.approx(r.accuracy, abs=1e-6)
    for k, s in enumerate(c.per_class):
        tp, fp, fn = m[k, k], m[:, k].sum() - m[k, k], m[k].sum() - m[k, k]
        assert s.support == m[k].sum()
        assert s.precision == pytest.approx(tp / (tp + fp) if tp + fp else 0.0)
        assert s.recall == pytest.approx(tp / (tp + fn))
        p_, r_ = s.precision, s.recall
        assert s.f1 == pytest.approx(2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0)


def test_digits_metrics_match_scikit_learn(digits):
    skm = pytest.importorskip("sklearn.metrics")
    ds, r = digits
    c = r.classification
    np.testing.assert_array_equal(c.confusion, skm.confusion_matrix(ds.y_test, c.predicted, labels=range(10)))
    p, rec, f1, support = skm.precision_recall_fscore_support(ds.y_test, c.predicted, labels=range(10),
                                                              zero_division=0)
    np.testing.assert_allclose([s.precision for s in c.per_class], p, atol=1e-12)
    np.testing.assert_allclose([s.recall for s in c.per_class], rec, atol=1e-12)
    np.testing.assert_allclose([s.f1 for s in c.per_class], f1, atol=1e-12)
    np.testing.assert_array_equal([s.support for s in c.per_class], support)


def test_most_confident_mistakes_are_the_wrong_rows_with_the_highest_probability(digits):
    ds, r = digits
    probs = np_probabilities(r.params, ds.x_test)
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != ds.y_test)
    order = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][: metrics.MISTAKES]
    mistakes = r.classification.mistakes
    assert [m.row for m in mistakes] == list(order)
    for m in mistakes:
        assert m.true == str(ds.y_test[m.row]) and m.predicted == str(pred[m.row]) != m.true
        assert m.confidence == pytest.approx(probs[m.row].max(), abs=1e-5)


def test_binary_and_multilabel_metrics_match_scikit_learn():
    skm = pytest.importorskip("sklearn.metrics")
    ds, r = trained("breast-cancer")
    pred = (np_probabilities(r.params, ds.x_test)[:, 0] > 0.5).astype(int)
    np.testing.assert_array_equal(r.classification.predicted, pred)
    np.testing.assert_array_equal(r.classification.confusion, skm.confusion_matrix(ds.y_test, pred))
    f1 = skm.f1_score(ds.y_test, pred, average=None)
    np.testing.assert_allclose([s.f1 for s in r.classification.per_class], f1, atol=1e-12)

    ds = data.make_dataset("multilabel", seed=0)
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", steps=300)
    r = train.train(config, ds, lr=0.01)
    pred = (np_probabilities(r.params, ds.x_test, sigmoid=True) > 0.5).astype(int)
    np.testing.assert_array_equal(r.classification.confusion, skm.multilabel_confusion_matrix(ds.y_test, pred))
    p, rec, f1, _ = skm.precision_recall_fscore_support(ds.y_test, pred, zero_division=0)
    np.testing.assert_allclose([s.precision for s in r.classification.per_class], p, atol=1e-12)
    np.testing.assert_allclose([s.recall for s in r.classification.per_class], rec, atol=1e-12)


def test_precision_of_a_class_never_predicted_is_zero():
    values = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.1, 0.9, 0.0]])
    c = metrics.classify(values, np.array([0, 2, 1]), "multi-class", ("a", "b", "c"), split="test")
    assert c.per_class[2] == metrics.ClassStats("c", 0.0, 0.0, 0.0, 1)
    assert c.per_class[0].precision == 0.5 and c.per_class[0].recall == 1.0
    assert [m.row for m in c.mistakes] == [1]


def test_train_json_has_the_classifier_keys(runner):
    result = runner.invoke(cli, ["train", "iris", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["classes"] == ["setosa", "versicolor", "virginica"]
    assert np.asarray(out["confusion"]).shape == (3, 3) and np.sum(out["confusion"]) == out["n_test"]
    assert [set(s) for s in out["per_class"]] == [{"name", "precision", "recall", "f1", "support"}] * 3
    assert out["test_accuracy"] == out["accuracy"] and np.trace(out["confusion"]) == round(
        out["test_accuracy"] * out["n_test"])
    assert out["best_test_step"] in out["checkpoints"]["step"]


def test_text_view_shows_the_matrix_the_scores_and_the_digit_images(runner):
    result = runner.invoke(cli, ["train", "digits", "--digits", "3,5,8", "--epochs", "3", "--no-chart"],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Confusion matrix" in out and "precision" in out and "recall" in out
    assert "parameters" in out and "(3 epochs of" in out
    if "most confident mistake" in out:
        assert "█" in out or "▓" in out  # the digits drawn in block shades
    assert max(len(line) for line in out.splitlines()) <= 80


# --- overfitting --------------------------------------------------------------------------------


def cps(train_loss, test_loss):
    step = np.arange(1, len(train_loss) + 1) * 10
    return metrics.Checkpoints(step, np.asarray(train_loss, float), np.asarray(test_loss, float),
                               np.zeros(len(step)))


def test_overfitting_when_test_loss_turns_up_while_train_loss_falls():
    o = metrics.overfitting(cps([1, .5, .3, .2, .1, .05], [1, .6, .5, .55, .6, .7]))
    assert o is not None and o.best_step == 30 and o.rise == pytest.approx(0.4)
    assert o.train_loss_at_best == 0.3 and o.final_train_loss == 0.05
    assert metrics.best_step(cps([1, .5, .3, .2, .1, .05], [1, .6, .5, .55, .6, .7])) == 30


@pytest.mark.parametrize("train_loss,test_loss", [
    ([1, .5, .3, .2, .1, .05], [1, .6, .5, .45, .4, .38]),  # both still falling
    ([1, .5, .3, .2, .1, .05], [1, .6, .5, .51, .52, .53]),  # up, but less than 10%
    ([1, .5, .3, .4, .5, .6], [1, .6, .5, .6, .7, .8]),  # both rising: diverging, not overfitting
    ([1, .5, .3], [1, .6, .9]),  # too few checkpoints to say
])
def test_no_overfitting_note_otherwise(train_loss, test_loss):
    assert metrics.overfitting(cps(train_loss, test_loss)) is None
