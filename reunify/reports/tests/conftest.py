"""The report tests' therapists hold a current licence: a court report is signed with it."""

from __future__ import annotations

from typing import Any

import pytest

from reunify.conftest import licensed


@pytest.fixture(autouse=True)
def _therapist_licensed(request: Any) -> None:
    for name in ("therapist", "outsider"):
        if name in request.fixturenames:
            licensed(request.getfixturevalue(name))
