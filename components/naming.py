"""Transitional alias of ``contracts.naming`` while the move to ``contracts`` lands; to be deleted."""

import sys

import contracts.naming as _moved

sys.modules[__name__] = _moved
