"""The built artifact the end-to-end tests run the functions from (built once, cached by fingerprint)."""

from __future__ import annotations

import pytest

from devtools import artifact


@pytest.fixture(scope="session")
def built_artifact() -> artifact.Artifact:
    try:
        return artifact.ensure(log=lambda _: None)
    except artifact.ArtifactError as error:
        pytest.fail(f"the artifact does not build: {error}")
