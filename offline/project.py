"""Transitional alias of ``contracts.project`` while the move to ``contracts`` lands; to be deleted."""

import sys

import contracts.project as _moved

sys.modules[__name__] = _moved
