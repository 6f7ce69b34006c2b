"""VPC-only SageMaker Studio rules (guardrails 9-20 of docs/guardrails.md), by service.

The policies live in one module per service: ``studio_domains`` (domains, their network and key, the
security groups of user profiles and spaces), ``studio_sagemaker`` (notebook instances, models,
endpoint configurations, feature groups) and ``studio_vpc`` (the VPC's endpoints, internet path,
flow logs and security groups). This module only lists them, in guardrail order, for the pack's
``__main__.py`` and for the tests, which load the rules without starting a server.
"""

from __future__ import annotations

import studio_domains
import studio_sagemaker
import studio_vpc

POLICIES = [*studio_domains.POLICIES, *studio_sagemaker.POLICIES, *studio_vpc.POLICIES]
