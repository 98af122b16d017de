"""Build glue: the import package `cronchecks` is the folder `checks/`, sub-packages found by walking it."""

from setuptools import find_packages, setup

setup(
    package_dir={"cronchecks": "checks"},
    packages=["cronchecks", *(f"cronchecks.{name}" for name in find_packages("checks"))],
)
