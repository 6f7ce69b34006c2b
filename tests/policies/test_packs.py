"""Every pack and every policy: the shape the engine and people rely on.

One table (``EXPECTED``) says, for every policy of every pack, its enforcement level, whether it is
a resource or a stack policy, the guardrail it implements and the settings it reads; the per-pack
tests judge what the policies report.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, Policy, StackValidationPolicy

from offline.analyzer import discover_packs
from tests.policy_harness import POLICIES, load_module, load_rules, schema_defaults

PACKS = discover_packs(POLICIES)
ALL = [(pack.name, policy) for pack in PACKS for policy in load_rules(pack.name).POLICIES]

M, A = "mandatory", "advisory"
R, S = "resource", "stack"
#: pack -> policy -> (level, kind, guardrail, settings). Mandatory unless the guardrail is advice.
EXPECTED: dict[str, dict[str, tuple[str, str, int, set[str]]]] = {
    "cicd-iam": {
        "codebuild-not-privileged": (M, R, 27, {"privilegedAllowlist"}),
        "codebuild-artifacts-kms": (M, R, 27, set()),
        "codebuild-logs": (M, R, 27, set()),
        "codebuild-no-plaintext-secrets": (M, R, 27, set()),
        "codepipeline-artifact-kms": (M, R, 28, set()),
        "iam-no-admin": (M, R, 29, set()),
        "iam-no-service-wildcard": (M, R, 29, set()),
        "iam-no-kms-decrypt-on-all-keys": (M, R, 29, set()),
        "iam-trust-no-wildcard-principal": (M, R, 30, set()),
        "iam-trust-no-account-root": (M, R, 30, set()),
        "iam-trust-github-oidc-pinned": (M, R, 30, set()),
        "iam-auditor-read-only": (M, S, 31, {"auditorRoles"}),
    },
    "data-protection": {
        "s3-public-access-block": (M, S, 21, set()),
        "s3-kms-encryption": (M, S, 22, set()),
        "s3-tls-only": (M, S, 23, set()),
        "s3-versioning": (A, S, 24, set()),
        "s3-access-logging": (A, S, 24, set()),
        "kms-key-rotation": (M, R, 25, set()),
        "kms-key-no-lockout-bypass": (M, R, 25, set()),
        "kms-key-not-public": (M, R, 25, set()),
        "redshift-kms": (M, R, 26, set()),
        "redshift-not-public": (M, R, 26, set()),
        "redshift-enhanced-vpc-routing": (M, R, 26, set()),
        "redshift-require-ssl": (M, R, 26, set()),
    },
    "lake-formation": {
        "lf-settings-no-iam-allowed-principals": (M, R, 1, set()),
        "lf-admins-allowlisted": (M, R, 2, {"allowedAdmins"}),
        "lf-no-grants-to-iam-allowed-principals": (M, R, 3, set()),
        "lf-all-only-to-producers": (M, R, 4, {"producerPrincipals"}),
        "lf-location-access-only-to-producers": (M, R, 4, {"producerPrincipals"}),
        "lf-grant-option-allowlisted": (M, R, 4, {"grantOptionPrincipals"}),
        "lf-tag-based-grants": (A, R, 5, {"consumerPrincipals"}),
        "lf-tag-vocabulary": (A, R, 5, {"vocabulary"}),
        "lf-sensitive-never-to-consumers": (M, R, 5, {"consumerPrincipals", "sensitive"}),
        "lf-location-data-access-role": (M, R, 6, set()),
        "lf-location-no-hybrid-access": (M, R, 6, set()),
        "glue-catalog-encryption-at-rest": (M, R, 7, set()),
        "glue-connection-password-encryption": (M, R, 7, set()),
        "glue-security-configuration-attached": (M, R, 8, set()),
        "glue-security-configuration-encryption": (M, R, 8, set()),
    },
    "studio-vpc-only": {
        "studio-domain-vpc-only": (M, R, 9, set()),
        "studio-domain-subnets": (M, R, 10, set()),
        "studio-domain-security-groups": (M, R, 10, set()),
        "studio-profile-security-groups": (M, S, 10, {"allowedSecurityGroups"}),
        "studio-domain-kms": (M, R, 11, set()),
        "notebook-instance-no-direct-internet": (M, R, 12, set()),
        "notebook-instance-in-vpc": (M, R, 12, set()),
        "notebook-instance-no-root-access": (M, R, 12, set()),
        "notebook-instance-kms": (M, R, 12, set()),
        "notebook-instance-imdsv2": (M, R, 12, set()),
        "sagemaker-model-network-isolation": (M, R, 13, set()),
        "sagemaker-model-in-vpc": (M, R, 13, set()),
        "sagemaker-endpoint-config-kms": (M, R, 14, set()),
        "feature-group-offline-store-kms": (M, R, 15, set()),
        "feature-group-online-store-kms": (M, R, 15, set()),
        "studio-required-vpc-endpoints": (M, S, 16, {"requiredEndpoints"}),
        "vpc-no-internet-path": (M, S, 17, set()),
        "vpc-flow-logs": (M, S, 18, set()),
        "vpc-default-security-group-closed": (M, S, 19, set()),
        "security-group-no-public-ingress": (M, R, 20, set()),
    },
}
#: The guardrails each pack implements (docs/guardrails.md), every one by at least one policy.
GUARDRAILS = {
    "lake-formation": range(1, 9),
    "studio-vpc-only": range(9, 21),
    "data-protection": range(21, 27),
    "cicd-iam": range(27, 32),
}
#: What a pack may import besides its own modules: pulumi-policy and the standard library.
ALLOWED_IMPORTS = {"__future__", "pulumi_policy", "collections", "fnmatch", "functools", "ipaddress", "json", "re"}
ALLOWED_IMPORTS |= {"types", "typing"}
#: How a description ends: "Controls: Security Hub CodeBuild.5; Checkov CKV_AWS_316; guardrail 27."
CONTROLS = re.compile(
    r" Controls: (?:Security Hub [A-Za-z0-9]+\.[0-9]+(?:, [A-Za-z0-9]+\.[0-9]+)*; )?"
    r"(?:Checkov CKV2?_AWS_[0-9]+(?:, CKV2?_AWS_[0-9]+)*; )?"
    r"(?:AWS Config [a-z0-9-]+(?:, [a-z0-9-]+)*; )?guardrail (?P<guardrail>[0-9]+)\.$"
)


def _helpers(pack: Path) -> Path:
    return pack / f"{_module_prefix(pack.name)}_helpers.py"


def _module_prefix(pack: str) -> str:
    return pack.replace("-", "_")


def test_the_packs() -> None:
    assert [pack.name for pack in PACKS] == ["cicd-iam", "data-protection", "lake-formation", "studio-vpc-only"]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_each_policy_has_its_level_kind_guardrail_and_settings(pack: Path) -> None:
    """The pack's policies, in order, each with the level its guardrail says (mandatory unless advice)."""
    found = {
        policy.name: (
            policy.enforcement_level.value,
            S if isinstance(policy, StackValidationPolicy) else R,
            _guardrail(policy),
            set(schema_defaults(policy)),
        )
        for policy in load_rules(pack.name).POLICIES
    }
    assert found == EXPECTED[pack.name]
    assert list(found) == list(EXPECTED[pack.name])
    assert {guardrail for _, _, guardrail, _ in found.values()} == set(GUARDRAILS[pack.name])


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_the_example_config_holds_exactly_the_schema_defaults(pack: Path) -> None:
    """policy-config.example.json names every policy with its level and every setting with its default,
    so that it is a complete, working sample of --policy-pack-config."""
    example = json.loads((pack / "policy-config.example.json").read_text())
    expected: dict[str, Any] = {
        policy.name: {"enforcementLevel": policy.enforcement_level.value, **schema_defaults(policy)}
        for policy in load_rules(pack.name).POLICIES
    }
    assert example == expected
    assert list(example) == list(expected)


def _guardrail(policy: Policy) -> int:
    found = CONTROLS.search(policy.description or "")
    assert found is not None, f"{policy.name}: {policy.description!r} does not end with its controls"
    return int(found["guardrail"])


@pytest.mark.parametrize(("pack", "policy"), ALL, ids=[policy.name for _, policy in ALL])
def test_policy_metadata(pack: str, policy: Policy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description and policy.description.endswith(".")
    assert 1 <= _guardrail(policy) <= 31
    # The summary before the controls is a sentence of its own.
    assert CONTROLS.split(policy.description)[0].endswith(".")
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
    schema = policy.config_schema
    if schema is not None:
        for key, spec in schema.properties.items():
            assert "default" in spec and "description" in spec and "type" in spec, f"{policy.name}.{key}"


def test_the_helpers_read_back_the_controls_they_write() -> None:
    helpers = load_module("cicd-iam", "cicd_iam_helpers")
    description = helpers.described("A sentence.", 25, security_hub=["KMS.4", "KMS.5"], checkov=["CKV_AWS_7"])
    assert description == "A sentence. Controls: Security Hub KMS.4, KMS.5; Checkov CKV_AWS_7; guardrail 25."
    controls = helpers.controls_of(description)
    assert controls.guardrail == 25 and controls.summary == "A sentence."
    assert controls.ids == {"Security Hub": ("KMS.4", "KMS.5"), "Checkov": ("CKV_AWS_7",)}
    assert helpers.controls_of("A sentence. Controls: guardrail 20.").ids == {}
    with pytest.raises(ValueError, match="is not a Checkov control id"):
        helpers.described("A sentence.", 25, checkov=["KMS.4"])
    with pytest.raises(ValueError, match="does not end with"):
        helpers.controls_of("A sentence without controls.")


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_each_pack_is_complete_and_its_main_only_assembles(pack: Path) -> None:
    assert (pack / "requirements.txt").read_text().count("==") >= 2
    assert (pack / "PulumiPolicy.yaml").read_text().startswith("runtime: python")
    main = (pack / "__main__.py").read_text()
    assert "PolicyPack(" in main and "def " not in main and "class " not in main


def test_every_pack_holds_the_same_helpers_byte_for_byte() -> None:
    """Each pack is published alone, so each keeps its own copy of the shared helpers; the copies
    must not drift apart (change one, copy it to the others)."""
    copies = {pack.name: _helpers(pack).read_bytes() for pack in PACKS}
    first = copies[PACKS[0].name]
    assert [name for name, text in copies.items() if text != first] == []
    assert b"def described(" in first and b"class Unknowns" in first


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_each_pack_imports_only_its_own_modules_and_its_own_helpers(pack: Path) -> None:
    """A pack runs from its own folder: it may import its own modules and installed packages, never
    another pack's helpers (they would not be there when the pack is published alone)."""
    own = {path.stem for path in pack.glob("*.py")}
    others = {_helpers(other).stem for other in PACKS if other != pack}
    for module in pack.glob("*.py"):
        imported = _imports(module)
        assert imported & others == set(), module.name
        assert imported <= own | ALLOWED_IMPORTS, module.name


def _imports(module: Path) -> set[str]:
    """The top-level names of the modules a file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_policy_names_are_unique_across_packs() -> None:
    names = [policy.name for _, policy in ALL]
    assert len(names) == len(set(names))


def test_the_github_workflows_run_every_pack() -> None:
    """A pack added under policies/ must also run in pull requests and deploys."""
    import yaml

    workflows = POLICIES.parent / ".github" / "workflows"
    listed = []
    for path in sorted(workflows.glob("*.yml")):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                packs = step.get("with", {}).get("policyPacks")
                if packs:
                    listed.append((path.name, sorted(packs.split())))
    assert [name for name, _ in listed] == ["pull-request.yml", "up.yml"]
    assert all(packs == sorted(f"policies/{pack.name}" for pack in PACKS) for _, packs in listed)
