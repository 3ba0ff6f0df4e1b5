"""The build: the compiled kernels are what the tests import, one version, threads from threadpoolctl."""

import re
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import skdeep
from skdeep._kernels import _openmp

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_the_one_meson_build_writes():
    declared = re.search(r"^\s*version:\s*'([^']+)'", (ROOT / "meson.build").read_text(), re.M)
    assert skdeep.__version__ == declared.group(1)


def test_the_package_is_not_imported_from_an_uncompiled_tree():
    # The sources live under src/: `python -m pytest` puts the clone's root on sys.path, where no
    # skdeep package lies, so the import above found the installed (or editable) build.
    assert not (ROOT / "skdeep").exists()
    assert Path(_openmp.__file__).suffix in {".so", ".pyd"}


@pytest.mark.skipif(not _openmp.built_with_openmp(), reason="built without OpenMP")
def test_kernel_threads_follow_threadpool_limits():
    # threadpoolctl finds the OpenMP runtime the kernels link and limits it, as for scikit-learn's
    # own OpenMP code: what a worker of Dask or joblib relies on not to oversubscribe.
    assert any(info["internal_api"] == "openmp" for info in threadpool_info())
    with threadpool_limits(limits=1):
        assert _openmp.max_threads() == 1
    with threadpool_limits(limits=2, user_api="openmp"):
        assert _openmp.max_threads() == 2

