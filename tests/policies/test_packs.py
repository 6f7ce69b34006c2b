"""Every pack and every policy: the shape the engine and people rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, Policy

from offline.analyzer import discover_packs
from tests.policy_harness import POLICIES, load_rules, schema_defaults

PACKS = discover_packs(POLICIES)
ALL = [(pack.name, policy) for pack in PACKS for policy in load_rules(pack.name).POLICIES]


def test_the_packs() -> None:
    assert [pack.name for pack in PACKS] == ["cicd-iam", "data-protection", "lake-formation", "studio-vpc-only"]


@pytest.mark.parametrize(("pack", "policy"), ALL, ids=[policy.name for _, policy in ALL])
def test_policy_metadata(pack: str, policy: Policy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description and policy.description.endswith(".")
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
    schema = policy.config_schema
    if schema is not None:
        for key, spec in schema.properties.items():
            assert "default" in spec and "description" in spec and "type" in spec, f"{policy.name}.{key}"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_each_pack_is_complete_and_its_main_only_assembles(pack: Path) -> None:
    assert (pack / "requirements.txt").read_text().count("==") >= 2
    assert (pack / "PulumiPolicy.yaml").read_text().startswith("runtime: python")
    main = (pack / "__main__.py").read_text()
    assert "PolicyPack(" in main and "def " not in main and "class " not in main


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_example_config_names_only_real_policies_and_settings(pack: Path) -> None:
    example = json.loads((pack / "policy-config.example.json").read_text())
    policies = {policy.name: policy for policy in load_rules(pack.name).POLICIES}
    for name, entry in example.items():
        assert name in policies, name
        settings = {key for key in entry if key != "enforcementLevel"} if isinstance(entry, dict) else set()
        assert settings <= set(schema_defaults(policies[name])), name


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
