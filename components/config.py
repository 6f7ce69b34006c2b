"""The Pulumi side of the configuration: this stack's raw values, as the Pulumi runtime holds them,
validated by ``contracts.config``."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from contracts.config import Settings, parse


def load() -> Settings:
    """Read and validate this stack's configuration from the Pulumi runtime."""
    # The runtime keeps the whole configuration in one map; reading it lets a misspelt key fail
    # loudly instead of silently falling back to its default.
    raw: dict[str, str] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    # The language host runs the program from the project's folder (Pulumi.yaml's): relative
    # settings such as featureCatalogDir are read from there, whichever copy of the code runs.
    return parse(
        raw, project=pulumi.get_project(), stack=pulumi.get_stack(), project_dir=Path.cwd(), environ=os.environ
    )
