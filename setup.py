"""Package discovery for the three source folders that make up ``rl_lab`` (see the README's layout).

``envs/`` and ``agents/`` sit beside ``rl_lab/`` in the repository, as the project's brief asks,
and install as ``rl_lab.envs`` and ``rl_lab.agents``; ``experiments/`` installs as package data
``rl_lab.experiments``. Every sub-package below them is found here, never listed by hand, so a new
``envs/foo/`` reaches the wheel without editing a list.
"""

from setuptools import find_packages, setup

FOLDERS = {
    "rl_lab": "rl_lab",
    "rl_lab.envs": "envs",
    "rl_lab.agents": "agents",
    "rl_lab.experiments": "experiments",
}

packages = []
for package, folder in FOLDERS.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_packages(folder))]

setup(packages=packages, package_dir=FOLDERS, package_data={"rl_lab.experiments": ["*.toml"]})
