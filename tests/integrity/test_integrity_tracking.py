"""check-integrity's --exclude, --track (attributes beside the hash, links by target) and --update, beside sha256sum."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.attributes import TRACKABLE, format_sidecar, parse_sidecar, parse_track
from cronchecks.integrity.check import check_integrity
from cronchecks.integrity.options import IntegrityOptions
from tests.conftest import run_console_script

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX attributes and symlinks")


def runtime() -> Runtime:
    return Runtime(env={})


def sha256sum_check(manifest: Path, cwd: Path) -> int:
    tool = shutil.which("sha256sum")
    assert tool, "sha256sum (coreutils) is missing"
    return subprocess.run([tool, "-c", "--quiet", str(manifest)], cwd=cwd, capture_output=True).returncode


@pytest.fixture
def site(tmp_path) -> Path:
    root = tmp_path / "site"
    (root / "app" / "cache").mkdir(parents=True)
    (root / "app" / "logs").mkdir()
    (root / "app" / "index.php").write_text("<?php echo 1;")
    (root / "app" / "config.php").write_text("<?php $db = 'x';")
    (root / "app" / "cache" / "page.html").write_text("cached")
    (root / "app" / "logs" / "access.log").write_text("GET /\n")
    (root / "app" / "debug.log").write_text("debug\n")
    return root


def create(root: Path, manifest: Path, **options) -> None:
    result = check_integrity(IntegrityOptions(manifest=str(manifest), create=True, paths=(".",), root=str(root),
                                              **options), runtime())
    assert result.status is Status.OK, result.summary


def names_in(manifest: Path) -> list[str]:
    return sorted(line.split("  ", 1)[1] for line in manifest.read_text().splitlines())


# --- --exclude --------------------------------------------------------------------------------


def test_exclude_leaves_out_names_at_any_depth_and_paths_under_the_root(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, exclude=("*.log", "app/cache"))
    assert names_in(manifest) == ["app/config.php", "app/index.php"]
    assert sha256sum_check(manifest, site) == 0  # what it wrote, coreutils reads


def test_exclude_applies_to_watch_and_to_checking(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest)
    (site / "app" / "logs" / "error.log").write_text("new log")
    (site / "app" / "debug.log").write_text("changed")
    plain = IntegrityOptions(manifest=str(manifest), root=str(site), watch=(str(site),))
    assert check_integrity(plain, runtime()).status is Status.CRITICAL
    quiet = IntegrityOptions(manifest=str(manifest), root=str(site), watch=(str(site),), exclude=("*.log",))
    result = check_integrity(quiet, runtime())
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith("3 files match")  # debug.log and access.log are not judged


def test_exclude_everything_is_a_readable_mistake(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest)
    done = run_console_script("check-integrity", "-m", str(manifest), "--root", str(site), "--exclude", "*")
    assert done.code == 3
    assert done.first_line.endswith("lists no files outside --exclude")


# --- --track -----------------------------------------------------------------------------------


def test_track_names_parse_and_refuse():
    assert parse_track("target, mode,mode") == ("mode", "target")
    with pytest.raises(ValueError, match="unknown attribute 'colour'"):
        parse_track("mode,colour")
    done = run_console_script("check-integrity", "-m", "/nonexistent", "--track", "mode,colour")
    assert done.code == 3 and "--track" in done.first_line


def _change(kind: str, path: Path) -> None:
    if kind == "mode":
        path.chmod(0o600)
    elif kind == "mtime":
        os.utime(path, (1_000_000_000, 1_000_000_000))
    elif kind == "inode":  # the same content in a new file: an editor's save, or a swapped file
        copy = path.with_name(path.name + ".new")
        shutil.copy2(path, copy)
        os.replace(copy, path)
    elif kind == "links":
        os.link(path, path.with_name(path.name + ".hardlink"))
    elif kind == "owner":
        os.chown(path, 4321, 4321)


@pytest.mark.parametrize("kind", ["mode", "mtime", "inode", "links",
                                  pytest.param("owner", marks=pytest.mark.skipif(not IS_ROOT, reason="chown"))])
def test_a_change_in_a_tracked_attribute_is_critical_naming_it(site, tmp_path, kind):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, track=TRACKABLE)
    checking = IntegrityOptions(manifest=str(manifest), root=str(site), track=TRACKABLE)
    assert check_integrity(checking, runtime()).status is Status.OK
    _change(kind, site / "app" / "index.php")
    result = check_integrity(checking, runtime())
    assert result.status is Status.CRITICAL, result.summary
    assert result.summary.startswith(f"1 with changed {kind}: app/index.php")
    assert result.details[0].startswith(f"changed: app/index.php ({kind} ")
    # The hash is unchanged: sha256sum sees nothing, which is why the attributes are kept.
    assert sha256sum_check(manifest, site) == 0


def test_an_untracked_attribute_does_not_count(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, track=("mode",))
    os.utime(site / "app" / "index.php", (1_000_000_000, 1_000_000_000))
    assert check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), track=("mode",)),
                           runtime()).status is Status.OK


def test_a_symlink_swapped_to_an_identical_file_is_caught_by_its_target(site, tmp_path):
    shared = site / "app" / "release-1.php"
    shared.write_text("<?php release();")
    twin = site / "app" / "release-2.php"
    twin.write_text("<?php release();")  # the same bytes: the hash cannot tell them apart
    link = site / "app" / "current.php"
    link.symlink_to("release-1.php")
    manifest = tmp_path / "site.sha256"
    create(site, manifest, track=("target",))
    sidecar = parse_sidecar((tmp_path / "site.sha256.perms").read_bytes())
    assert sidecar.table[b"app/current.php"] == {"target": "release-1.php"}
    assert sidecar.table[b"app/index.php"] == {"target": "-"}
    link.unlink()
    link.symlink_to("release-2.php")
    result = check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), track=("target",)), runtime())
    assert result.status is Status.CRITICAL
    assert result.details == ("changed: app/current.php (target release-1.php -> release-2.php)",)
    assert sha256sum_check(manifest, site) == 0  # coreutils follows the link and sees the same content


def test_asking_for_an_attribute_the_sidecar_never_kept(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, track_perms=True)
    with pytest.raises(UsageError, match="does not keep size: create the manifest again with --track mode,owner,size"):
        check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), track=("mode", "owner", "size")),
                        runtime())


def test_the_older_sidecar_form_still_verifies(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest)
    index = site / "app" / "index.php"
    info = index.stat()
    (tmp_path / "site.sha256.perms").write_bytes(
        f"{info.st_mode & 0o7777:04o} {info.st_uid} {info.st_gid}  app/index.php\n".encode())
    checking = IntegrityOptions(manifest=str(manifest), root=str(site), track_perms=True)
    assert check_integrity(checking, runtime()).status is Status.OK
    index.chmod(0o600)
    assert check_integrity(checking, runtime()).details == (
        f"changed: app/index.php (mode {info.st_mode & 0o7777:04o} -> 0600)",)


_TARGETS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=30)
_NAMES = st.binary(min_size=1, max_size=30).filter(lambda b: b"\x00" not in b and not b.startswith(b"#")
                                                     and b.strip() != b"" and not b.startswith(b"\\"))


@settings(max_examples=150, deadline=None)
@given(rows=st.dictionaries(_NAMES, st.tuples(st.integers(0, 0o7777), st.integers(0, 2**32), _TARGETS),
                            min_size=1, max_size=8))
def test_the_sidecar_reads_back_what_it_wrote(rows):
    tracked = ("mode", "size", "target")
    written = [({"mode": f"{mode:04o}", "size": str(size), "target": target}, name)
               for name, (mode, size, target) in rows.items()]
    read = parse_sidecar(b"".join(format_sidecar(tracked, written)))
    assert read.tracked == tracked and not read.follows_links
    assert read.table == {name: values for values, name in written}


# --- --update and --update-new -----------------------------------------------------------------


def test_update_accepts_a_changed_file_and_keeps_the_previous_manifest(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest)
    before = manifest.read_bytes()
    (site / "app" / "config.php").write_text("<?php $db = 'y';")
    checking = IntegrityOptions(manifest=str(manifest), root=str(site))
    assert check_integrity(checking, runtime()).status is Status.CRITICAL
    done = run_console_script("check-integrity", "--update", "-m", str(manifest), "--root", str(site),
                              "app/config.php")
    assert done.code == 0, done.stdout
    assert done.first_line.startswith(f"INTEGRITY OK - updated {manifest}: 1 changed, 0 added, 0 removed")
    assert (tmp_path / "site.sha256.prev").read_bytes() == before
    assert check_integrity(checking, runtime()).status is Status.OK
    assert sha256sum_check(manifest, site) == 0
    assert sha256sum_check(tmp_path / "site.sha256.prev", site) != 0  # the old one still says the old content


def test_update_drops_a_file_that_is_gone_and_adds_one_not_listed(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, exclude=("*.log",))
    (site / "app" / "config.php").unlink()
    (site / "app" / "debug.log").write_text("now wanted")
    result = check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), update=True,
                                              paths=("app/config.php", "app/debug.log")), runtime())
    assert result.summary.startswith(f"updated {manifest}: 0 changed, 1 added, 1 removed")
    assert "app/config.php" not in names_in(manifest) and "app/debug.log" in names_in(manifest)
    assert sha256sum_check(manifest, site) == 0


def test_update_new_adds_what_watch_finds_except_the_excluded(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, exclude=("*.log", "cache"))
    (site / "app" / "plugin.php").write_text("<?php plugin();")
    (site / "app" / "cache" / "other.html").write_text("cached")
    watching = IntegrityOptions(manifest=str(manifest), root=str(site), watch=(str(site),), exclude=("*.log", "cache"))
    assert check_integrity(watching, runtime()).status is Status.WARNING
    from dataclasses import replace

    check_integrity(replace(watching, update_new=True), runtime())
    assert names_in(manifest) == ["app/config.php", "app/index.php", "app/plugin.php"]
    assert check_integrity(watching, runtime()).status is Status.OK


def test_update_keeps_tagged_lines_tagged(site, tmp_path):
    tool = shutil.which("sha256sum")
    assert tool
    listing = subprocess.run([tool, "--tag", "app/index.php", "app/config.php"], cwd=site, capture_output=True,
                             check=True).stdout
    manifest = tmp_path / "tagged.sha256"
    manifest.write_bytes(b"# release 1\n" + listing)
    (site / "app" / "index.php").write_text("<?php echo 2;")
    check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), update=True,
                                     paths=("app/index.php",)), runtime())
    text = manifest.read_text()
    assert text.startswith("# release 1\nSHA256 (app/index.php) = ")
    assert sha256sum_check(manifest, site) == 0


def test_update_also_accepts_the_tracked_attributes(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest, track=("mode", "target"))
    (site / "app" / "index.php").chmod(0o600)
    checking = IntegrityOptions(manifest=str(manifest), root=str(site), track=("mode", "target"))
    assert check_integrity(checking, runtime()).status is Status.CRITICAL
    check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), update=True,
                                     paths=("app/index.php",)), runtime())
    assert check_integrity(checking, runtime()).status is Status.OK
    assert (tmp_path / "site.sha256.perms.prev").exists()


@pytest.mark.parametrize("argv,words", [
    (["--update", "-m", "M"], "--update needs the files to accept"),
    (["--update-new", "-m", "M"], "--update-new adds the new files of the --watch folders"),
    (["--create", "--update", "-m", "M", "x"], "give one"),
    (["-m", "M", "x"], "PATH arguments go with --create or --update"),
])
def test_update_mistakes_are_one_line(argv, words):
    done = run_console_script("check-integrity", *argv)
    assert done.code == 3 and words in done.first_line, done.first_line


def test_update_of_a_folder_is_refused_and_changes_nothing(site, tmp_path):
    manifest = tmp_path / "site.sha256"
    create(site, manifest)
    before = manifest.read_bytes()
    with pytest.raises(CheckError, match="is a folder"):
        check_integrity(IntegrityOptions(manifest=str(manifest), root=str(site), update=True, paths=("app",)),
                        runtime())
    assert manifest.read_bytes() == before and not (tmp_path / "site.sha256.prev").exists()
