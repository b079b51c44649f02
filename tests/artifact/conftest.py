"""The artifact of this checkout, built once (devtools.artifact caches it by the sources' fingerprint)."""

from __future__ import annotations

import warnings

import pytest

from devtools import artifact


@pytest.fixture(scope="session")
def built_artifact() -> artifact.Artifact:
    lines: list[str] = []
    try:
        built = artifact.ensure(log=lines.append)
    except artifact.ArtifactError as error:
        pytest.fail(f"the artifact does not build: {error}")
    if built.fallback:
        warnings.warn(
            f"Python {artifact.LAMBDA_PYTHON} not found: the artifact tests ran on Python {built.python_version}",
            stacklevel=1,
        )
    return built
