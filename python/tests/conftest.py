"""Fixtures of the crossenc pytest suite: the committed tiny model, the CLI, the shared folder.

ctest runs each file with PYTHONPATH=<build>/python and CROSSENC_CLI / CROSSENC_TEST_DATA_DIR
set (python/CMakeLists.txt). CI sets CROSSENC_REQUIRE_SHARED=1: a missing shared file then
fails a test instead of skipping it.
"""

import os
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("CROSSENC_SOURCE_DIR", Path(__file__).resolve().parents[2]))
TEST_DATA = Path(os.environ.get("CROSSENC_TEST_DATA_DIR", SOURCE_DIR / "tests" / "data"))


def shared_dir() -> Path:
    env = os.environ.get("CROSSENC_SHARED_DIR")
    return Path(env) if env else SOURCE_DIR.parent / "shared"


def require_shared(rel: str) -> Path:
    path = shared_dir() / rel
    if not path.exists():
        if os.environ.get("CROSSENC_REQUIRE_SHARED") == "1":
            pytest.fail(f"required shared file missing: {path}")
        pytest.skip(f"shared file not present: {path}")
    return path


@pytest.fixture
def tiny_model() -> str:
    return str(TEST_DATA / "tiny-random")


@pytest.fixture
def trec_mini() -> str:
    return str(TEST_DATA / "trec-mini")


@pytest.fixture
def cli() -> str:
    path = os.environ.get("CROSSENC_CLI")
    if not path or not Path(path).is_file():
        pytest.fail("CROSSENC_CLI must name the crossenc binary (ctest sets it)")
    return path
