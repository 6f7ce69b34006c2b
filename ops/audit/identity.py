"""IAM: the platform's roles keep least privilege and pinned trust."""

from __future__ import annotations

from ops.audit.findings import Check

#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {}
