import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from skdeep.__main__ import VARIANTS, Row, format_table, load_dataset, main, run_comparison


@pytest.fixture
def npz_path(tmp_path):
    """Three well-separated classes of 4x2 'images', 20 samples each, targets as a column."""
    rng = np.random.default_rng(0)
    targets = np.repeat(np.arange(3), 20)
    inputs = rng.normal(scale=0.1, size=(60, 4, 2)) + targets[:, None, None]
    path = tmp_path / "tiny.npz"
    np.savez(path, inputs=inputs, targets=targets[:, None].astype(np.float64))
    return path


def test_format_table_aligns_columns():
    rows = [Row("short", 0.5, 1.0, 7), Row("a much longer name", 0.98765, 12.345, None)]

    lines = format_table(rows).splitlines()

    assert lines[0].split() == ["variant", "test", "accuracy", "fit", "seconds", "epochs"]
    assert set(lines[1]) == {"-", " "}
    assert len({len(line) for line in lines}) == 1
    assert lines[2].split() == ["short", "0.5000", "1.00", "7"]
    assert lines[3].startswith("a much longer name")
    assert lines[3].split()[-3:] == ["0.9877", "12.35", "-"]


def test_format_table_without_rows_is_only_the_header():
    assert len(format_table([]).splitlines()) == 2


def test_load_dataset_reads_npz(npz_path):
    X, y = load_dataset(npz_path)

    assert X.dtype == np.float32
    assert X.shape == (60, 8)
    assert y.shape == (60,)
    assert np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y), [20, 20, 20])


def test_load_dataset_names_missing_arrays(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, inputs=np.zeros((4, 2)), labels=np.zeros(4))

    with pytest.raises(ValueError, match=r"missing \['targets'\], found \['inputs', 'labels'\]"):
        load_dataset(path)


def test_load_dataset_rejects_mismatched_lengths(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, inputs=np.zeros((4, 2)), targets=np.zeros(3))

    with pytest.raises(ValueError, match="'inputs' has 4 samples but 'targets' has 3"):
        load_dataset(path)


def test_load_dataset_defaults_to_scaled_digits():
    X, y = load_dataset()

    assert X.shape == (1797, 64)
    assert X.dtype == np.float32
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_array_equal(np.unique(y), np.arange(10))


def test_run_comparison_keeps_variant_order(npz_path):
    X, y = load_dataset(npz_path)
    variants = [
        (name, lambda max_iter, random_state, strategy=name: DummyClassifier(strategy=strategy))
        for name in ("prior", "most_frequent")
    ]

    rows = run_comparison(X, y, variants=variants, test_size=0.5)

    assert [row.variant for row in rows] == ["prior", "most_frequent"]
    assert all(row.accuracy == pytest.approx(1 / 3) for row in rows)
    assert all(row.fit_seconds >= 0 for row in rows)


def test_main_prints_a_row_per_variant_on_digits(capsys):
    assert main(["--max-iter", "2"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("digits: 1797 samples, 64 features, 10 classes")
    for name, _ in VARIANTS:
        assert f"\n{name} " in out


def test_main_reads_npz(npz_path, capsys):
    assert main(["--data", str(npz_path), "--max-iter", "2", "--test-size", "0.5"]) == 0

    out = capsys.readouterr().out
    assert "60 samples, 8 features, 3 classes" in out
    assert len(out.splitlines()) == 3 + len(VARIANTS)


def test_help_describes_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--data", "--max-iter", "--test-size", "--random-state"):
        assert option in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--test-size", "1.5"], "strictly between 0 and 1"),
        (["--max-iter", "0"], "positive integer"),
    ],
)
def test_main_rejects_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_fixed_epochs_trains_every_variant_for_max_iter():
    X, y = load_dataset(None)
    X, y = X[:300], y[:300]
    stopping = run_comparison(X, y, variants=VARIANTS[:2], max_iter=300)
    assert all(row.epochs < 300 for row in stopping)
    fixed = run_comparison(X, y, variants=VARIANTS[:2], max_iter=300, fixed_epochs=True)
    assert [row.epochs for row in fixed] == [300, 300]
