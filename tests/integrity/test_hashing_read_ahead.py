"""The read-ahead path of check-integrity's hashing (files of READ_AHEAD_FROM and more): same digests, same errors."""

from __future__ import annotations

import hashlib
import os

from cronchecks.core.runtime import Runtime
from cronchecks.integrity.hashing import CHUNK, READ_AHEAD_FROM, Hasher
from cronchecks.integrity.manifest import Digest
from tests.conftest import run_console_script

SHA256 = Digest("sha256", 32)


def test_a_large_file_hashes_as_hashlib_does(tmp_path):
    big = tmp_path / "big.bin"
    data = os.urandom(READ_AHEAD_FROM + CHUNK // 3)  # not a whole number of chunks
    big.write_bytes(data)
    seen: list[int] = []
    found = Hasher(Runtime(), jobs=2, progress=seen.append).hash_one(str(big), SHA256, len(data))
    assert found.digest == hashlib.sha256(data).hexdigest()
    assert found.size == len(data) == sum(seen)


def test_many_files_large_and_small_in_the_order_given(tmp_path):
    sizes = [READ_AHEAD_FROM + 5, 0, 17, CHUNK + 1, READ_AHEAD_FROM * 2]
    paths = []
    for index, size in enumerate(sizes):
        path = tmp_path / f"f{index}"
        path.write_bytes(os.urandom(size))
        paths.append(str(path))
    paths.append(str(tmp_path / "missing"))
    sizes.append(READ_AHEAD_FROM)  # a size from a manifest, for a file that is gone
    work = [(path, SHA256) for path in paths]
    found = Hasher(Runtime(), jobs=3).hash_all(work, sizes)
    assert [item.path for item in found] == paths
    for item in found[:-1]:
        with open(item.path, "rb") as handle:
            assert item.digest == hashlib.sha256(handle.read()).hexdigest()
    assert found[-1].digest is None and isinstance(found[-1].error, FileNotFoundError)


def test_check_integrity_over_a_large_file_agrees_with_sha256sum(tmp_path):
    import shutil
    import subprocess

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(READ_AHEAD_FROM * 2 + 3))
    manifest = tmp_path / "m.sha256"
    manifest.write_text(subprocess.run([shutil.which("sha256sum") or "sha256sum", str(big)], capture_output=True,
                                       text=True, check=True).stdout)
    assert run_console_script("check-integrity", "--manifest", str(manifest)).code == 0
    with big.open("r+b") as handle:
        handle.seek(READ_AHEAD_FROM + 1)
        handle.write(b"\0" if handle.read(1) != b"\0" else b"\1")
    done = run_console_script("check-integrity", "--manifest", str(manifest))
    assert done.code == 2 and "modified" in done.stdout
