"""The policy packs' rules, called directly (no server), with Pulumi's own property proxy."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.analyzer import discover_packs
from tests.conftest import ROOT

PACKS = discover_packs(ROOT / "policies")


def load_rules(pack: str, module: str) -> ModuleType:
    """Import a pack's rule module by path, as the pack's own process would (its folder on sys.path)."""
    path = ROOT / "policies" / pack / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"{pack.replace('-', '_')}_{module}", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


LF = load_rules("lake-formation", "lake_formation_rules")
STUDIO = load_rules("studio-vpc-only", "studio_rules")
ALL_POLICIES = [*LF.POLICIES, *STUDIO.POLICIES]


def check(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any], name: str = "subject"
) -> list[str]:
    """Run one resource policy the way the pack does: props behind the unknown-checking proxy."""
    messages: list[str] = []
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(props), f"urn:pulumi:s::p::{resource_type}::{name}", name, opts, None
    )

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy.validate(args, report)
    return messages


# --- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_policy_metadata(policy: ResourceValidationPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.endswith(".")
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_each_pack_is_complete_and_its_main_only_assembles(pack: Path) -> None:
    assert (pack / "requirements.txt").read_text().count("==") >= 2
    main = (pack / "__main__.py").read_text()
    assert "PolicyPack(" in main and "def " not in main and "class " not in main


def test_policy_names_are_unique_across_packs() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))


# --- lf-settings-no-iam-allowed-principals -------------------------------------------------

SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
LF_POLICY = LF.lf_settings_no_iam_allowed_principals
COMPLIANT_SETTINGS: dict[str, Any] = {
    "admins": ["arn:aws:iam::333333333333:role/mlops/admin"],
    "createDatabaseDefaultPermissions": [],
    "createTableDefaultPermissions": [],
}


def test_lf_compliant_settings_pass() -> None:
    assert check(LF_POLICY, SETTINGS, COMPLIANT_SETTINGS) == []


@pytest.mark.parametrize("prop", ["createDatabaseDefaultPermissions", "createTableDefaultPermissions"])
def test_lf_default_grant_to_iam_allowed_principals_fails(prop: str) -> None:
    props = {**COMPLIANT_SETTINGS, prop: [{"principal": "IAM_ALLOWED_PRINCIPALS", "permissions": ["ALL"]}]}
    (message,) = check(LF_POLICY, SETTINGS, props, name="lake-settings")
    assert message.startswith(f"lake-settings: {prop} grants ['ALL'] to IAM_ALLOWED_PRINCIPALS")
    assert "remove that entry" in message


@pytest.mark.parametrize("prop", ["createDatabaseDefaultPermissions", "createTableDefaultPermissions"])
def test_lf_missing_default_permissions_fail_as_the_aws_default_is_unsafe(prop: str) -> None:
    props = {k: v for k, v in COMPLIANT_SETTINGS.items() if k != prop}
    (message,) = check(LF_POLICY, SETTINGS, props, name="lake-settings")
    assert f"lake-settings: {prop} is not set" in message and f"set {prop} to an empty list" in message


def test_lf_other_principals_and_other_types_pass() -> None:
    role = [{"principal": "arn:aws:iam::333333333333:role/mlops/engineer", "permissions": ["ALL"]}]
    assert check(LF_POLICY, SETTINGS, {**COMPLIANT_SETTINGS, "createTableDefaultPermissions": role}) == []
    assert check(LF_POLICY, "aws:s3/bucket:Bucket", {}) == []


def test_lf_unknown_at_preview_raises_for_the_pack_to_report() -> None:
    with pytest.raises(UnknownValueError):
        check(LF_POLICY, SETTINGS, {**COMPLIANT_SETTINGS, "createDatabaseDefaultPermissions": UNKNOWN_ARRAY_VALUE})


# --- studio-domain-vpc-only ------------------------------------------------------------------

DOMAIN = "aws:sagemaker/domain:Domain"
STUDIO_POLICY = STUDIO.studio_domain_vpc_only


def test_studio_vpc_only_domain_passes() -> None:
    assert check(STUDIO_POLICY, DOMAIN, {"appNetworkAccessType": "VpcOnly"}) == []


def test_studio_public_internet_domain_fails() -> None:
    (message,) = check(STUDIO_POLICY, DOMAIN, {"appNetworkAccessType": "PublicInternetOnly"}, name="studio")
    assert message.startswith("studio: appNetworkAccessType is 'PublicInternetOnly'")
    assert 'set appNetworkAccessType to "VpcOnly"' in message


def test_studio_missing_network_mode_fails_as_aws_defaults_to_public() -> None:
    (message,) = check(STUDIO_POLICY, DOMAIN, {}, name="studio")
    assert "not set (AWS defaults to PublicInternetOnly)" in message


def test_studio_unknown_at_preview_raises_for_the_pack_to_report() -> None:
    with pytest.raises(UnknownValueError):
        check(STUDIO_POLICY, DOMAIN, {"appNetworkAccessType": UNKNOWN_STRING_VALUE})
