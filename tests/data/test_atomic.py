import os

import pytest

from botkit.data.atomic import atomic_write


def test_atomic_write_replaces_file(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    with atomic_write(path) as handle:
        handle.write(b"one")
    with atomic_write(path) as handle:
        handle.write(b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(path.parent) == ["f.bin"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_old_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="No space left"), atomic_write(path) as handle:
        handle.write(b"half of the new")
        raise OSError(28, "No space left on device")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_existing_permissions_are_kept(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    path.chmod(0o600)
    with atomic_write(path) as handle:
        handle.write(b"new")
    assert path.stat().st_mode & 0o777 == 0o600
