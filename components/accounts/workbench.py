"""The generic blocks a target account configures from its settings: its Studio domain and its
Feature Store."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.accounts.foundation import AccountFoundation
from components.feature_store import FeatureStoreArgs
from components.iam import PlatformRole
from components.studio import StudioDomainArgs
from contracts import naming
from contracts.config import Settings
from contracts.feature_catalog import FeatureGroupSpec
from contracts.lifecycle import render_pip_mirror


def studio_domain_args(
    settings: Settings, foundation: AccountFoundation, domain: str, execution_role: PlatformRole
) -> StudioDomainArgs:
    """A VPC-only Studio domain in the account's network, with a profile per data scientist (none in
    pre-production, where jobs run and nobody works)."""
    network = foundation.network
    assert network is not None, "a Studio domain needs the account's private network"
    return StudioDomainArgs(
        domain_name=naming.physical_name(settings.role, domain),
        vpc_id=network.vpc_id,
        subnet_ids=network.subnet_ids,
        security_group_id=network.studio_security_group_id,
        kms_key_arn=foundation.key.arn,
        execution_role_name=execution_role.name,
        execution_role_arn=execution_role.arn,
        user_profiles=[
            naming.studio_profile_name(email)
            for email in (settings.people.data_scientists if settings.role != "preprod" else ())
        ],
        region=settings.region,
        partition=settings.partition,
        account_id=settings.account_id,
        idle_timeout_minutes=settings.studio_idle_timeout_minutes,
        # Every app's pip installs from the package mirror, with nobody typing a token.
        lifecycle_script=render_pip_mirror(settings.package_mirror) if settings.package_mirror else None,
        tags=settings.tags,
        protect=settings.protect,
    )


def feature_store_args(
    settings: Settings,
    foundation: AccountFoundation,
    specs: Sequence[FeatureGroupSpec],
    offline_purpose: str,
    database: pulumi.Input[str],
    registered: bool = False,
) -> FeatureStoreArgs:
    """The catalog's feature groups in this account, their offline store in the ``offline_purpose``
    bucket and its tables in ``database``; ``registered`` where Lake Formation governs the bucket."""
    bucket = foundation.buckets[offline_purpose]
    return FeatureStoreArgs(
        specs=specs,
        offline_bucket=bucket.bucket,
        offline_bucket_arn=foundation.bucket_arn(offline_purpose),
        kms_key_arn=foundation.key.arn,
        glue_database=database,
        role_name=naming.feature_store_role_name(settings.role),
        partition=settings.partition,
        region=settings.region,
        account_id=settings.account_id,
        registered=registered,
        tags=settings.tags,
        protect=settings.protect,
    )
