"""Transitional alias of ``contracts.feature_catalog`` while the move to ``contracts`` lands; to be deleted."""

import sys

import contracts.feature_catalog as _moved

sys.modules[__name__] = _moved
