"""The Pulumi side of the configuration: this stack's raw values, as the Pulumi runtime holds them,
validated by ``contracts.config``."""

from __future__ import annotations

import os

import pulumi
from pulumi.runtime import config as runtime_config

from contracts.config import PROJECT_DIR, Settings, parse


def load() -> Settings:
    """Read and validate this stack's configuration from the Pulumi runtime."""
    # The runtime keeps the whole configuration in one map; reading it lets a misspelt key fail
    # loudly instead of silently falling back to its default.
    raw: dict[str, str] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse(
        raw, project=pulumi.get_project(), stack=pulumi.get_stack(), project_dir=PROJECT_DIR, environ=os.environ
    )
