"""File helpers: atomic writes keep the old file when they fail and name what went wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twolayer.errors import ModelFileError
from twolayer.writing import atomic_write


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "m.npz"
    target.write_bytes(b"old model")

    def half_then_crash(f: Any) -> None:
        f.write(b"half a new mo")
        raise RuntimeError("disk died")

    with pytest.raises(RuntimeError, match="disk died"):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_write_into_a_missing_directory_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"cannot write .*: No such file or directory"):
        atomic_write(tmp_path / "nope" / "m.npz", lambda f: None, error=ModelFileError)
