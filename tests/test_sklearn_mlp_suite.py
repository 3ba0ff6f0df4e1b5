"""scikit-learn's own MLP test suite, run against DeepMLPClassifier and DeepMLPRegressor.

The module ``sklearn/neural_network/tests/test_mlp.py`` of the installed scikit-learn is read,
its one import of the estimators is swapped for skdeep's, and its tests are collected here as if
they were ours. Nothing of it is copied into this repository: a newer scikit-learn brings its
newer tests. The only tests left out are those that reach into ``MLPClassifier``'s private
internals, each listed with its reason; what they check in public behaviour is covered by
``test_mlp.py`` and ``test_sklearn_parity.py``.
"""

import importlib.util
import os
import re
from pathlib import Path

import pytest

SKLEARN_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
SKDEEP_IMPORT = (
    "from skdeep import DeepMLPClassifier as MLPClassifier, DeepMLPRegressor as MLPRegressor"
)

# Each of these reads or writes an attribute that only MLPClassifier's implementation has.
DESELECTED = {
    "test_fit": "sets MLPClassifier's private buffers (_coef_grads, _coef_velocity, ...) and "
    "fits from them; the same worked step is checked by test_optimisers.py's closed-form steps",
    "test_gradient": "calls the private MLPClassifier._loss_grad_lbfgs; skdeep's gradients are "
    "checked by finite differences in test_gradient_check.py",
    "test_learning_rate_warmstart": "reads the private _optimizer.learning_rate, which for "
    "scikit-learn is the rate after the last epoch; the warm-started invscaling model itself is "
    "compared with scikit-learn's in test_sklearn_parity.py",
    "test_adaptive_learning_rate": "reads the private _optimizer.learning_rate; 'adaptive' is "
    "compared with scikit-learn's model in test_sklearn_parity.py",
    "test_n_iter_no_change": "reads the private _no_improvement_count; n_iter_no_change is "
    "compared through n_iter_ in test_sklearn_parity.py",
    "test_n_iter_no_change_inf": "reads the private _no_improvement_count; n_iter_no_change="
    "np.inf is also run by test_mlp_warm_start_no_convergence",
}


def _sklearn_test_source():
    """The path and text of the installed scikit-learn's test_mlp.py, or a reason to skip."""
    try:
        spec = importlib.util.find_spec("sklearn.neural_network.tests.test_mlp")
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None:
        return None, "the installed scikit-learn does not ship its tests"
    path = Path(spec.origin)
    source = path.read_text(encoding="utf-8")
    if source.count(SKLEARN_IMPORT) != 1:
        return None, f"{path} no longer imports the MLPs with {SKLEARN_IMPORT!r}"
    return path, source.replace(SKLEARN_IMPORT, SKDEEP_IMPORT)


def _load_sklearn_tests():
    path, source = _sklearn_test_source()
    if path is None:
        pytest.skip(f"scikit-learn's MLP tests cannot run: {source}", allow_module_level=True)
    namespace = {"__name__": "sklearn_test_mlp_on_skdeep", "__file__": str(path)}
    # Compiled under the original file name, so a failure points at scikit-learn's own line.
    exec(compile(source, str(path), "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.startswith("test_")}


SKLEARN_TESTS = _load_sklearn_tests()

for _name, _test in SKLEARN_TESTS.items():
    if _name in DESELECTED:
        _test = pytest.mark.skip(reason=f"reads sklearn internals: {DESELECTED[_name]}")(_test)
    globals()[_name] = _test


def _seed_from_environment():
    # scikit-learn's own fixture reads the same variable; a single integer is enough here.
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
    return int(value) if re.fullmatch(r"\d+", value) else 42


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture of the same name (its conftest is not loaded here)."""
    return _seed_from_environment()


def test_the_deselected_tests_exist_in_scikit_learns_suite():
    # A deselection that no longer matches a test would silently hide nothing, or the wrong thing.
    assert set(DESELECTED) <= set(SKLEARN_TESTS)
    assert SKDEEP_IMPORT in _sklearn_test_source()[1]
