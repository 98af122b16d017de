"""check-integrity's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.values import OptionValues
from cronchecks.integrity.attributes import parse_track
from cronchecks.integrity.options import IntegrityOptions


def read_options(values: OptionValues) -> IntegrityOptions:
    """IntegrityOptions from option values; a bad value is an OptionError naming its option."""
    algorithm = values.text("algorithm")
    # db-env and db-file are options of their own: read before db (see OptionValues).
    db_env, db_file = values.text("db-env"), values.text("db-file")
    return IntegrityOptions(
        manifest=values.text("manifest"),
        create=values.flag("create"),
        paths=values.texts("paths"),
        algorithm=algorithm.strip().lower() if algorithm else None,
        root=values.text("root"),
        watch=values.texts("watch"),
        track_perms=values.flag("track-perms"),
        track=values.parsed("track", parse_track) or (),
        exclude=values.texts("exclude"),
        update=values.flag("update"),
        update_new=values.flag("update-new"),
        jobs=values.whole("jobs"),
        db=values.text("db"),
        db_env=db_env,
        db_file=db_file,
        query=values.text("query"),
        command=values.text("command"),
        shell=values.flag("shell"),
        expect=values.text("expect"),
        expect_regex=values.text("expect-regex"),
    )
