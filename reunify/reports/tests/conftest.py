"""The report tests' therapist holds a current licence: a court report is signed with it."""

from __future__ import annotations

from typing import Any

import pytest

from reunify.conftest import licensed


@pytest.fixture(autouse=True)
def _therapist_licensed(request: Any) -> None:
    if "therapist" in request.fixturenames:
        licensed(request.getfixturevalue("therapist"))
