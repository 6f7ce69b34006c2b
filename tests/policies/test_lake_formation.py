"""The lake-formation pack (guardrails 1-8 of docs/guardrails.md), policy by policy, with no server.

For each policy: compliant baselines pass; changing one property to each bad value fails with a
message naming the resource, the property and the fix; a missing property is judged by its AWS
default; an unknown value in each checked property either counts as set (presence checks) or raises
``UnknownValueError`` (value checks); and the policy config changes the verdict.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from offline.engine import StackPreview, preview
from tests.conftest import ROOT
from tests.policy_harness import DELETE, load_rules, resource_violations, schema_defaults
from tests.policy_harness import changed as harness_changed

RULES = load_rules("lake-formation")
POLICY: dict[str, ResourceValidationPolicy] = {p.name: p for p in RULES.POLICIES}
NAME = "lake-subject"
Path = tuple[str | int, ...]

SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
GRANT = "aws:lakeformation/permissions:Permissions"
LOCATION = "aws:lakeformation/resource:Resource"
LF_TAG = "aws:lakeformation/lfTag:LfTag"
RESOURCE_LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"
JOB = "aws:glue/job:Job"
CRAWLER = "aws:glue/crawler:Crawler"

KEY = "arn:aws:kms:eu-west-1:333333333333:key/7777a3ae-89d2-72e8-9344-91d2993106bb"
DEPLOYER = "arn:aws:iam::333333333333:role/pulumi-deployer"
ENGINEERING = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-data-engineering"
READONLY = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-studio-readonly"
EXECUTION = "arn:aws:iam::222222222222:role/mlops/mlops-datasci-studio-execution"
DATA_ACCESS = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-lake-data-access"
CONSUMER_ACCOUNT = "222222222222"
IAM_ALLOWED = "IAM_ALLOWED_PRINCIPALS"
SENS_POLICY = "lf-sensitive-never-to-consumers"
TAG_BASED, VOCABULARY = "lf-tag-based-grants", "lf-tag-vocabulary"
ALL_TO_PRODUCERS, LOCATION_ACCESS = "lf-all-only-to-producers", "lf-location-access-only-to-producers"
GRANT_OPTION = "lf-grant-option-allowlisted"
ROLE_POLICY, HYBRID = "lf-location-data-access-role", "lf-location-no-hybrid-access"
AT_REST, PASSWORDS = "glue-catalog-encryption-at-rest", "glue-connection-password-encryption"
ATTACHED, ENCRYPTS = "glue-security-configuration-attached", "glue-security-configuration-encryption"
SENSITIVE_EXPRESSION = {"key": "classification", "values": ["internal", "sensitive"]}
SAFE_EXPRESSIONS = [
    {"key": "layer", "values": ["curated", "features"]},
    {"key": "classification", "values": ["public", "internal"]},
]

# Compliant baselines, as the program deploys them (the Analyze inputs of `offline preview --json`).
BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "settings": (
        SETTINGS,
        {
            "admins": [DEPLOYER],
            "createDatabaseDefaultPermissions": [],
            "createTableDefaultPermissions": [],
            "parameters": {"CROSS_ACCOUNT_VERSION": "4"},
        },
    ),
    # A producer's tag grant.
    "role-grant": (
        GRANT,
        {
            "permissions": ["SELECT", "INSERT", "DELETE", "DESCRIBE", "ALTER"],
            "principal": ENGINEERING,
            "lfTagPolicy": {"resourceType": "TABLE", "expressions": [{"key": "layer", "values": ["raw", "curated"]}]},
        },
    ),
    # The cross-account share to the data science account: a consumer, with the grant option.
    "account-grant": (
        GRANT,
        {
            "permissions": ["SELECT", "DESCRIBE"],
            "permissionsWithGrantOptions": ["SELECT", "DESCRIBE"],
            "principal": CONSUMER_ACCOUNT,
            "lfTagPolicy": {"resourceType": "TABLE", "expressions": copy.deepcopy(SAFE_EXPRESSIONS)},
        },
    ),
    # A named-database grant to a role that is not a consumer.
    "named-grant": (
        GRANT,
        {
            "permissions": ["CREATE_TABLE", "ALTER", "DESCRIBE"],
            "principal": "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-store",
            "database": {"name": "mlops_features"},
        },
    ),
    # The data science account's own grant on a shared database's tables (not a configured consumer).
    "table-grant": (
        GRANT,
        {
            "permissions": ["SELECT", "DESCRIBE"],
            "principal": EXECUTION,
            "table": {"wildcard": True, "catalogId": "333333333333", "databaseName": "mlops_curated"},
        },
    ),
    # A producer's location access, on exactly one registered location.
    "location-grant": (
        GRANT,
        {
            "permissions": ["DATA_LOCATION_ACCESS"],
            "principal": ENGINEERING,
            "dataLocation": {"arn": "arn:aws:s3:::mlops-datamgmt-raw-333333333333-eu-west-1"},
        },
    ),
    # A grant on an LF-tag itself, so a consumer can see the tag.
    "tag-grant": (
        GRANT,
        {
            "permissions": ["DESCRIBE"],
            "principal": CONSUMER_ACCOUNT,
            "lfTag": {"key": "classification", "values": ["public", "internal"]},
        },
    ),
    "lf-tag": (LF_TAG, {"key": "classification", "values": ["public", "internal", "sensitive"]}),
    "resource-lf-tags": (
        RESOURCE_LF_TAGS,
        {"lfTags": [{"key": "classification", "value": "internal"}], "database": {"name": "mlops_raw"}},
    ),
    "location": (
        LOCATION,
        {
            "arn": "arn:aws:s3:::mlops-datamgmt-raw-333333333333-eu-west-1",
            "roleArn": DATA_ACCESS,
            "useServiceLinkedRole": False,
            "hybridAccessEnabled": False,
        },
    ),
    "catalog-encryption": (
        CATALOG_ENCRYPTION,
        {
            "dataCatalogEncryptionSettings": {
                "connectionPasswordEncryption": {"awsKmsKeyId": KEY, "returnConnectionPasswordEncrypted": True},
                "encryptionAtRest": {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": KEY},
            }
        },
    ),
    "security-configuration": (
        SECURITY_CONFIGURATION,
        {
            "name": "mlops-datamgmt-glue",
            "encryptionConfiguration": {
                "s3Encryption": {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": KEY},
                "cloudwatchEncryption": {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": KEY},
                "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": KEY},
            },
        },
    ),
    "job": (
        JOB,
        {
            "command": {"scriptLocation": "s3://scripts/job.py", "name": "glueetl"},
            "roleArn": "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-job",
            "securityConfiguration": "mlops-datamgmt-glue",
        },
    ),
    "crawler": (
        CRAWLER,
        {
            "databaseName": "mlops_raw",
            "role": "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-job",
            "s3Targets": [{"path": "s3://mlops-datamgmt-raw-333333333333-eu-west-1/"}],
            "securityConfiguration": "mlops-datamgmt-glue",
        },
    ),
}


def changed(baseline: str, path: Path, value: Any) -> tuple[str, dict[str, Any]]:
    """A baseline with one property set to ``value`` (or removed, with DELETE)."""
    token, props = BASELINES[baseline]
    return token, harness_changed(props, path, value)


def check(policy: str, token: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> list[str]:
    return resource_violations(POLICY[policy], token, props, name=NAME, config=config)


def run_directly(
    policy: str, token: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> tuple[list[str], UnknownValueError | None]:
    """Validate with exactly ``config`` (no schema defaults), keeping what was reported before an
    unknown value stopped the policy."""
    messages: list[str] = []
    args = ResourceValidationArgs(
        token,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        f"urn:pulumi:test::project::{token}::{NAME}",
        NAME,
        PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None),
        None,
        dict(config),
    )

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    try:
        POLICY[policy].validate(args, report)
    except UnknownValueError as error:
        return messages, error
    return messages, None


def assert_reported(messages: list[str], fragments: tuple[str, ...], count: int = 1) -> None:
    assert len(messages) == count, messages
    for message in messages:
        assert message.startswith(f"{NAME}: ") and message.endswith("."), message
        assert "; " in message, message
    assert any(all(fragment in message for fragment in fragments) for message in messages), (fragments, messages)


# --- the pack's configuration ---------------------------------------------------------------------

PRODUCERS = [":role/mlops/mlops-datamgmt-(feature-store|data-engineering)$"]
CONSUMERS = ["^[0-9]{12}$", ":role/mlops/mlops-datamgmt-studio-readonly$"]
#: The settings' defaults, written out: a wrong default in the pack fails here (and the program's own
#: grants are checked against them below).
CONFIG_DEFAULTS: dict[str, dict[str, Any]] = {
    "lf-admins-allowlisted": {"allowedAdmins": ["arn:aws:iam::*:role/pulumi-deployer"]},
    ALL_TO_PRODUCERS: {"producerPrincipals": PRODUCERS},
    LOCATION_ACCESS: {"producerPrincipals": PRODUCERS},
    GRANT_OPTION: {"grantOptionPrincipals": ["^[0-9]{12}$"]},
    TAG_BASED: {"consumerPrincipals": CONSUMERS},
    VOCABULARY: {
        "vocabulary": {"classification": ["public", "internal", "sensitive"], "layer": ["raw", "curated", "features"]}
    },
    SENS_POLICY: {"consumerPrincipals": CONSUMERS, "sensitive": {"key": "classification", "value": "sensitive"}},
}


@pytest.mark.parametrize("name", list(POLICY))
def test_config_defaults_are_the_programs(name: str) -> None:
    assert schema_defaults(POLICY[name]) == CONFIG_DEFAULTS.get(name, {})


@pytest.mark.parametrize(
    ("setting", "one", "other"),
    [("consumerPrincipals", TAG_BASED, SENS_POLICY), ("producerPrincipals", ALL_TO_PRODUCERS, LOCATION_ACCESS)],
)
def test_a_setting_two_policies_read_has_one_default_and_each_names_the_other(
    setting: str, one: str, other: str
) -> None:
    """Each policy reads only its own config, so both carry the setting, with the same default, and
    each description says to set the other too."""
    for policy, partner in ((one, other), (other, one)):
        schema = POLICY[policy].config_schema
        assert schema is not None
        spec = schema.properties[setting]
        assert spec["default"] == CONFIG_DEFAULTS[policy][setting]
        assert f"set the same list for {partner}" in spec["description"]
    assert "sensitive" not in schema_defaults(POLICY[TAG_BASED])


@pytest.fixture(scope="module")
def stacks() -> list[StackPreview]:
    return preview(ROOT, policies=False).stacks


def test_the_programs_own_resources_pass_every_policy(stacks: list[StackPreview]) -> None:
    """Run over the real program's Analyze inputs: no violation, advisory or mandatory."""
    checked: set[str] = set()
    for stack in stacks:
        for record in stack.result.resources:
            if not record.custom:
                continue
            for policy in RULES.POLICIES:
                assert resource_violations(policy, record.type, record.inputs, name=record.name) == [], record.urn
            checked.add(record.type)
    guarded = {SETTINGS, GRANT, LOCATION, LF_TAG, RESOURCE_LF_TAGS, CATALOG_ENCRYPTION, SECURITY_CONFIGURATION}
    assert guarded <= checked  # not vacuous (the program has no Glue job or crawler)


def test_the_default_principals_are_the_programs_own(stacks: list[StackPreview]) -> None:
    """The defaults name exactly the principals the program treats that way: its producers are the
    roles it grants location access to, the grant option goes to the cross-account share only, and
    its consumers are the data science account and the read-only Studio role."""
    grants = [r.inputs for stack in stacks for r in stack.result.resources if r.type == GRANT]
    principals = {grant["principal"] for grant in grants}

    def matching(patterns: list[str]) -> set[str]:
        return {p for p in principals if any(re.search(pattern, p) for pattern in patterns)}

    location = {g["principal"] for g in grants if "DATA_LOCATION_ACCESS" in g.get("permissions", [])}
    assert location and matching(PRODUCERS) == location
    with_grant_option = {g["principal"] for g in grants if g.get("permissionsWithGrantOptions")}
    assert matching(CONFIG_DEFAULTS[GRANT_OPTION]["grantOptionPrincipals"]) == with_grant_option == {CONSUMER_ACCOUNT}
    assert matching(CONSUMERS) == {CONSUMER_ACCOUNT, READONLY}
    admins = [a for stack in stacks for r in stack.result.resources if r.type == SETTINGS for a in r.inputs["admins"]]
    allowed = CONFIG_DEFAULTS["lf-admins-allowlisted"]["allowedAdmins"]
    assert len(admins) == 2 and all(any(fnmatch.fnmatchcase(a, glob) for glob in allowed) for a in admins)


# --- compliant baselines -------------------------------------------------------------------------


@pytest.mark.parametrize("policy", list(POLICY))
@pytest.mark.parametrize("baseline", list(BASELINES))
def test_compliant_baselines_pass(policy: str, baseline: str) -> None:
    token, props = BASELINES[baseline]
    assert check(policy, token, props) == []


TAG_POLICIES = (TAG_BASED, VOCABULARY)
GOOD: list[tuple[str, str, Path, Any]] = [
    ("lf-admins-allowlisted", "settings", ("admins",), [DEPLOYER, "arn:aws:iam::222222222222:role/pulumi-deployer"]),
    (GRANT_OPTION, "account-grant", ("permissionsWithGrantOptions",), []),
    (GRANT_OPTION, "role-grant", ("permissionsWithGrantOptions",), []),
    *((policy, "account-grant", ("lfTagPolicy", "expressions", 1, "values"), ["public"]) for policy in TAG_POLICIES),
    *((policy, "account-grant", ("principal",), READONLY) for policy in TAG_POLICIES),
    # The sensitive value is the mandatory policy's to judge, not reported twice.
    *(
        (policy, "account-grant", ("lfTagPolicy", "expressions", 1, "values"), ["internal", "sensitive"])
        for policy in TAG_POLICIES
    ),
    *(
        (policy, "account-grant", ("lfTagPolicy", "expressions"), [{"key": "layer", "values": ["raw"]}])
        for policy in TAG_POLICIES
    ),
    (SENS_POLICY, "account-grant", ("lfTagPolicy", "expressions", 1, "values"), ["public"]),
    (SENS_POLICY, "account-grant", ("principal",), READONLY),
    # Producers may be granted sensitive data, by name or by tag.
    *(
        (policy, "role-grant", ("lfTagPolicy", "expressions", 0), {"key": "classification", "values": ["sensitive"]})
        for policy in (*TAG_POLICIES, SENS_POLICY)
    ),
    (SENS_POLICY, "role-grant", ("lfTagPolicy", "expressions"), [*SAFE_EXPRESSIONS[:1], SENSITIVE_EXPRESSION]),
    (TAG_BASED, "named-grant", ("principal",), ENGINEERING),
    # A named-resource grant to a consumer has no expression to judge: that is the advisory policy's.
    (SENS_POLICY, "named-grant", ("principal",), CONSUMER_ACCOUNT),
    (VOCABULARY, "lf-tag", ("values",), ["internal"]),
    (ROLE_POLICY, "location", ("useServiceLinkedRole",), DELETE),
    (HYBRID, "location", ("hybridAccessEnabled",), DELETE),
    (
        AT_REST,
        "catalog-encryption",
        ("dataCatalogEncryptionSettings", "encryptionAtRest", "catalogEncryptionMode"),
        "SSE-KMS-WITH-SERVICE-ROLE",
    ),
]


@pytest.mark.parametrize(("policy", "baseline", "path", "value"), GOOD, ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in GOOD])
def test_other_compliant_values_and_safe_aws_defaults_pass(policy: str, baseline: str, path: Path, value: Any) -> None:
    assert check(policy, *changed(baseline, path, value)) == []


# --- one bad property at a time ------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    policy: str
    baseline: str
    path: Path
    value: Any
    fragments: tuple[str, ...]
    count: int = 1
    config: dict[str, Any] = field(default_factory=dict)
    #: Other policies the change also breaks (it changes two guarded properties at once).
    also: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        shown = "missing" if self.value is DELETE else json.dumps(self.value)[:40]
        return f"{self.policy}:{self.baseline}:{'.'.join(map(str, self.path))}={shown}"


ALL_TO_IAM = [{"principal": IAM_ALLOWED, "permissions": ["ALL"]}]
SA = ("dataCatalogEncryptionSettings", "encryptionAtRest")
CP = ("dataCatalogEncryptionSettings", "connectionPasswordEncryption")
EC = ("encryptionConfiguration",)
ADMIN_FIX = "set admins to IAM roles matching allowedAdmins ('arn:aws:iam::*:role/pulumi-deployer')"
CONSUMER_FIX = "grant through lfTagPolicy with LF-tag expressions instead"
SENSITIVE_FIX = "grant through lfTagPolicy with an expression on 'classification' whose values exclude 'sensitive'"

BAD = [
    # 1. lf-settings-no-iam-allowed-principals: missing means the AWS default, ALL to IAM_ALLOWED_PRINCIPALS.
    *(
        Bad(
            "lf-settings-no-iam-allowed-principals",
            "settings",
            (prop,),
            value,
            (f"{prop} is not set", "ALL to IAM_ALLOWED_PRINCIPALS", f"set {prop} to an empty list"),
        )
        for prop in ("createDatabaseDefaultPermissions", "createTableDefaultPermissions")
        for value in (DELETE, None)
    ),
    *(
        Bad(
            "lf-settings-no-iam-allowed-principals",
            "settings",
            (prop,),
            value,
            (
                f"{prop}[{index}].principal is IAM_ALLOWED_PRINCIPALS",
                "remove that entry and grant through Lake Formation",
            ),
        )
        for prop in ("createDatabaseDefaultPermissions", "createTableDefaultPermissions")
        for index, value in (
            (0, ALL_TO_IAM),
            (1, [{"principal": DEPLOYER, "permissions": ["ALL"]}, {"principal": IAM_ALLOWED, "permissions": []}]),
        )
    ),
    Bad(
        "lf-settings-no-iam-allowed-principals",
        "settings",
        ("createTableDefaultPermissions",),
        "ALL",
        ("createTableDefaultPermissions is 'ALL', not a list of grants", "set createTableDefaultPermissions to an"),
    ),
    # 2. lf-admins-allowlisted
    Bad("lf-admins-allowlisted", "settings", ("admins",), DELETE, ("admins is not set", ADMIN_FIX)),
    Bad("lf-admins-allowlisted", "settings", ("admins",), [], ("admins is empty", ADMIN_FIX)),
    *(
        Bad(
            "lf-admins-allowlisted",
            "settings",
            ("admins",),
            [admin],
            (f"admins[0] {admin!r}", "is not an IAM role ARN", ADMIN_FIX),
        )
        for admin in (
            "arn:aws:iam::333333333333:user/alice",
            "arn:aws:iam::333333333333:group/admins",
            "arn:aws:iam::333333333333:root",
            "333333333333",
            "arn:aws:iam::333333333333:saml-provider/corp",
            "arn:aws:identitystore::333333333333:user/d-123/alice",
            "arn:aws:iam::3333:role/pulumi-deployer",
            "arn:aws:sts::333333333333:assumed-role/pulumi-deployer/session",
        )
    ),
    *(
        Bad(
            "lf-admins-allowlisted",
            "settings",
            ("admins",),
            admins,
            (f"admins[{len(admins) - 1}] {admins[-1]!r} is not in allowedAdmins", "add it to the allowedAdmins config"),
        )
        for admins in (
            ["arn:aws:iam::333333333333:role/data-engineer"],
            [DEPLOYER, "arn:aws:iam::333333333333:role/mlops/pulumi-deployer"],
            ["arn:aws-us-gov:iam::333333333333:role/pulumi-deployer"],
        )
    ),
    # 3. lf-no-grants-to-iam-allowed-principals
    *(
        Bad(
            "lf-no-grants-to-iam-allowed-principals",
            baseline,
            ("principal",),
            IAM_ALLOWED,
            ("principal is IAM_ALLOWED_PRINCIPALS", "grant to a named IAM role or account instead"),
        )
        for baseline in ("role-grant", "named-grant", "tag-grant")
    ),
    # 4. least privilege: ALL, location access, the grant option
    Bad(
        ALL_TO_PRODUCERS,
        "table-grant",
        ("permissions",),
        ["ALL"],
        (f"permissions includes ALL for {EXECUTION!r}", "grant only the permissions the principal needs"),
    ),
    Bad(
        ALL_TO_PRODUCERS,
        "account-grant",
        ("permissions",),
        ["SELECT", "ALL"],
        ("permissions includes ALL for '222222222222'", "grant only the permissions", "producerPrincipals"),
    ),
    Bad(
        LOCATION_ACCESS,
        "table-grant",
        ("permissions",),
        ["SELECT", "DATA_LOCATION_ACCESS"],
        ("permissions includes DATA_LOCATION_ACCESS", "on the dataLocation it is for, to a producer role"),
    ),
    # Even a producer gets location access one location at a time, never through a tag expression.
    Bad(
        LOCATION_ACCESS,
        "role-grant",
        ("permissions",),
        ["DATA_LOCATION_ACCESS"],
        ("other than on one exact location", "on the dataLocation it is for"),
    ),
    Bad(
        LOCATION_ACCESS,
        "location-grant",
        ("principal",),
        EXECUTION,
        (f"permissions includes DATA_LOCATION_ACCESS for {EXECUTION!r}", "only to producer roles"),
    ),
    Bad(
        ALL_TO_PRODUCERS,
        "account-grant",
        ("permissionsWithGrantOptions",),
        ["ALL"],
        ("permissionsWithGrantOptions includes ALL", "grant only the permissions"),
    ),
    Bad(
        LOCATION_ACCESS,
        "account-grant",
        ("permissionsWithGrantOptions",),
        ["DATA_LOCATION_ACCESS"],
        ("permissionsWithGrantOptions includes DATA_LOCATION_ACCESS", "on the dataLocation it is for"),
    ),
    *(
        Bad(
            GRANT_OPTION,
            baseline,
            ("permissionsWithGrantOptions",),
            ["SELECT"],
            ("permissionsWithGrantOptions is set for", "remove permissionsWithGrantOptions", "grantOptionPrincipals"),
        )
        for baseline in ("role-grant", "named-grant", "table-grant")
    ),
    # 5. lf-tag-based-grants and lf-tag-vocabulary (advisory)
    *(
        Bad(
            TAG_BASED,
            baseline,
            ("principal",),
            principal,
            (f"{prop} grants a named {kind} to consumer {principal!r}", CONSUMER_FIX),
        )
        for baseline, prop, kind in (("named-grant", "database", "database"), ("table-grant", "table", "table"))
        for principal in (CONSUMER_ACCOUNT, READONLY)
    ),
    Bad(
        VOCABULARY,
        "account-grant",
        ("lfTagPolicy", "expressions", 0, "key"),
        "tier",
        ("lfTagPolicy.expressions[0].key 'tier' is not in the LF-tag vocabulary", "add it to the vocabulary config"),
    ),
    Bad(
        VOCABULARY,
        "role-grant",
        ("lfTagPolicy", "expressions", 0, "values"),
        ["raw", "gold"],
        ("lfTagPolicy.expressions[0].values 'gold' is not a vocabulary value of 'layer'", "use one of them"),
    ),
    Bad(
        VOCABULARY,
        "tag-grant",
        ("lfTag", "values"),
        ["public", "secret"],
        ("lfTag.values 'secret' is not a vocabulary value of 'classification'", "use one of them"),
    ),
    Bad(
        VOCABULARY,
        "lf-tag",
        ("key",),
        "tier",
        ("key 'tier' is not in the LF-tag vocabulary", "vocabulary config"),
    ),
    Bad(
        VOCABULARY,
        "lf-tag",
        ("values",),
        ["public", "secret"],
        ("values 'secret' is not a vocabulary value of 'classification'", "add it to the vocabulary config"),
    ),
    Bad(
        VOCABULARY,
        "resource-lf-tags",
        ("lfTags", 0, "key"),
        "tier",
        ("lfTags[0].key 'tier' is not in the LF-tag vocabulary", "use a vocabulary key"),
    ),
    Bad(
        VOCABULARY,
        "resource-lf-tags",
        ("lfTags", 0, "value"),
        "secret",
        ("lfTags[0].value 'secret' is not a vocabulary value of 'classification'", "use one of them"),
    ),
    # 5. lf-sensitive-never-to-consumers (mandatory)
    *(
        Bad(
            SENS_POLICY,
            "account-grant",
            ("lfTagPolicy", "expressions"),
            expressions,
            (
                "lfTagPolicy.expressions has no expression on 'classification'",
                "also matches 'sensitive' data for consumer '222222222222'",
                SENSITIVE_FIX,
            ),
        )
        for expressions in ([{"key": "layer", "values": ["curated"]}], [])
    ),
    *(
        Bad(
            SENS_POLICY,
            "account-grant",
            ("lfTagPolicy", "expressions", 1, "values"),
            values,
            (
                "lfTagPolicy.expressions[1].values includes 'sensitive' for consumer '222222222222'",
                "which exposes sensitive data",
                SENSITIVE_FIX,
            ),
        )
        for values in (["internal", "sensitive"], ["sensitive"])
    ),
    Bad(
        SENS_POLICY,
        "account-grant",
        ("principal",),
        READONLY,
        (
            f"lfTagPolicy.expressions[1].values includes 'internal' for consumer {READONLY!r}",
            "with an expression on 'classification' whose values exclude 'internal'",
        ),
        config={"sensitive": {"key": "classification", "value": "internal"}},
        also=(GRANT_OPTION,),  # the account grant's grant option now goes to a role
    ),
    Bad(
        SENS_POLICY,
        "account-grant",
        ("lfTagPolicy", "expressions"),
        [SAFE_EXPRESSIONS[0], {"key": "classification", "values": ["sensitive"]}, SENSITIVE_EXPRESSION],
        ("lfTagPolicy.expressions[2].values includes 'sensitive'", SENSITIVE_FIX),
        count=2,
    ),
    # 6. registered locations: a missing roleArn means the service-linked role.
    *(
        Bad(
            ROLE_POLICY,
            "location",
            ("roleArn",),
            value,
            ("roleArn is not set", "service-linked role", "set roleArn to the platform's data-access role"),
        )
        for value in (DELETE, "", None)
    ),
    Bad(
        ROLE_POLICY,
        "location",
        ("roleArn",),
        "arn:aws:iam::333333333333:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess",
        ("roleArn 'arn:aws:iam::333333333333:role/aws-service-role/", "is a service-linked role", "set roleArn to"),
    ),
    *(
        Bad(
            ROLE_POLICY,
            "location",
            ("roleArn",),
            value,
            (f"roleArn {value!r} is not an IAM role ARN", "set roleArn to the platform's data-access role"),
        )
        for value in ("mlops-datamgmt-lake-data-access", "arn:aws:iam::333333333333:user/lake", 42)
    ),
    Bad(
        ROLE_POLICY,
        "location",
        ("useServiceLinkedRole",),
        True,
        ("useServiceLinkedRole is true", "set useServiceLinkedRole to false"),
    ),
    Bad(
        HYBRID,
        "location",
        ("hybridAccessEnabled",),
        True,
        ("hybridAccessEnabled is true", "set hybridAccessEnabled to false"),
    ),
    # 7. the Glue Data Catalog (CKV_AWS_94): missing means DISABLED, passwords in clear.
    # Both halves are missing, and each policy reports its own.
    Bad(
        AT_REST,
        "catalog-encryption",
        ("dataCatalogEncryptionSettings",),
        DELETE,
        (
            "dataCatalogEncryptionSettings.encryptionAtRest is not set",
            "set dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode to 'SSE-KMS'",
        ),
        also=(PASSWORDS,),
    ),
    Bad(
        PASSWORDS,
        "catalog-encryption",
        ("dataCatalogEncryptionSettings",),
        DELETE,
        (
            "dataCatalogEncryptionSettings.connectionPasswordEncryption is not set",
            "returnConnectionPasswordEncrypted to true",
        ),
        also=(AT_REST,),
    ),
    Bad(
        AT_REST,
        "catalog-encryption",
        SA,
        DELETE,
        ("dataCatalogEncryptionSettings.encryptionAtRest is not set", "catalogEncryptionMode to 'SSE-KMS'"),
    ),
    *(
        Bad(
            AT_REST,
            "catalog-encryption",
            (*SA, "catalogEncryptionMode"),
            value,
            (
                f"dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode is {shown}",
                "set dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode to 'SSE-KMS' "
                "with sseAwsKmsKeyId",
            ),
        )
        for value, shown in ((DELETE, "not set (AWS defaults to DISABLED)"), ("DISABLED", "'DISABLED'"))
    ),
    Bad(
        AT_REST,
        "catalog-encryption",
        (*SA, "sseAwsKmsKeyId"),
        DELETE,
        ("encryptionAtRest.sseAwsKmsKeyId is not set", "sseAwsKmsKeyId to a customer KMS key"),
    ),
    Bad(
        PASSWORDS,
        "catalog-encryption",
        CP,
        DELETE,
        (
            "dataCatalogEncryptionSettings.connectionPasswordEncryption is not set",
            "returnConnectionPasswordEncrypted to true",
        ),
    ),
    *(
        Bad(
            PASSWORDS,
            "catalog-encryption",
            (*CP, "returnConnectionPasswordEncrypted"),
            value,
            (
                "connectionPasswordEncryption.returnConnectionPasswordEncrypted is not true",
                "set dataCatalogEncryptionSettings.connectionPasswordEncryption"
                ".returnConnectionPasswordEncrypted to true",
            ),
        )
        for value in (False, DELETE)
    ),
    Bad(
        PASSWORDS,
        "catalog-encryption",
        (*CP, "awsKmsKeyId"),
        DELETE,
        ("connectionPasswordEncryption.awsKmsKeyId is not set", "awsKmsKeyId to a customer KMS key"),
    ),
    # 8. Glue security configurations (CKV_AWS_195, CKV_AWS_99): missing means DISABLED.
    *(
        Bad(
            ATTACHED,
            baseline,
            ("securityConfiguration",),
            value,
            ("securityConfiguration is not set", "set securityConfiguration to a Glue security configuration"),
        )
        for baseline in ("job", "crawler")
        for value in (DELETE, "")
    ),
    Bad(
        ENCRYPTS,
        "security-configuration",
        EC,
        DELETE,
        ("encryptionConfiguration is not set", "jobBookmarksEncryption 'CSE-KMS'"),
    ),
    *(
        case
        for block, mode, required, bad in (
            ("s3Encryption", "s3EncryptionMode", "SSE-KMS", ("DISABLED", "SSE-S3")),
            ("cloudwatchEncryption", "cloudwatchEncryptionMode", "SSE-KMS", ("DISABLED",)),
            ("jobBookmarksEncryption", "jobBookmarksEncryptionMode", "CSE-KMS", ("DISABLED", "SSE-KMS")),
        )
        for case in (
            Bad(
                ENCRYPTS,
                "security-configuration",
                (*EC, block),
                DELETE,
                (
                    f"encryptionConfiguration.{block} is not set",
                    f"set encryptionConfiguration.{block}.{mode} to {required!r}",
                ),
            ),
            *(
                Bad(
                    ENCRYPTS,
                    "security-configuration",
                    (*EC, block, mode),
                    value,
                    (f"encryptionConfiguration.{block}.{mode} is {shown}", f"to {required!r} with kmsKeyArn"),
                )
                for value, shown in (
                    (DELETE, "not set (AWS defaults to DISABLED)"),
                    *((v, repr(v)) for v in bad),
                )
            ),
            Bad(
                ENCRYPTS,
                "security-configuration",
                (*EC, block, "kmsKeyArn"),
                DELETE,
                (
                    f"encryptionConfiguration.{block}.kmsKeyArn is not set",
                    f"set encryptionConfiguration.{block}.kmsKeyArn",
                ),
            ),
        )
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[case.id for case in BAD])
def test_one_bad_property_fails_naming_resource_property_and_fix(case: Bad) -> None:
    messages = check(case.policy, *changed(case.baseline, case.path, case.value), config=case.config)
    assert_reported(messages, case.fragments, case.count)


@pytest.mark.parametrize("case", BAD, ids=[case.id for case in BAD])
def test_one_bad_property_fails_no_other_policy(case: Bad) -> None:
    """One policy per guarded property: each can be made advisory or disabled without hiding another."""
    token, props = changed(case.baseline, case.path, case.value)
    others = [name for name in POLICY if name not in (case.policy, *case.also) and check(name, token, props)]
    assert others == []
    assert all(check(name, token, props) for name in case.also)


def test_every_bad_admin_is_reported_once() -> None:
    admins = ["arn:aws:iam::333333333333:user/alice", DEPLOYER, "arn:aws:iam::333333333333:role/other"]
    messages = check("lf-admins-allowlisted", *changed("settings", ("admins",), admins))
    assert_reported(messages, ("admins[0]", "not an IAM role ARN"), count=2)
    assert any("admins[2]" in m and "not in allowedAdmins" in m for m in messages)


def test_an_unencrypted_security_configuration_reports_every_block() -> None:
    props = {"name": "plain", "encryptionConfiguration": {"s3Encryption": {}, "cloudwatchEncryption": {}}}
    messages = check(ENCRYPTS, SECURITY_CONFIGURATION, props)
    # s3 and cloudwatch: mode and key; bookmarks: the block.
    assert_reported(messages, ("jobBookmarksEncryption is not set",), count=5)


# --- unknown values during a preview -------------------------------------------------------------

RAISES = "raises"
#: What a preview with an unknown value does: RAISES (a value check: "can't run policy"), or the
#: number of messages (a presence check: the unknown counts as set).
UNKNOWN: list[tuple[str, str, Path, Any, str | int]] = [
    (
        "lf-settings-no-iam-allowed-principals",
        "settings",
        ("createDatabaseDefaultPermissions",),
        UNKNOWN_ARRAY_VALUE,
        RAISES,
    ),
    (
        "lf-settings-no-iam-allowed-principals",
        "settings",
        ("createTableDefaultPermissions",),
        UNKNOWN_ARRAY_VALUE,
        RAISES,
    ),
    (
        "lf-settings-no-iam-allowed-principals",
        "settings",
        ("createTableDefaultPermissions",),
        [{"principal": UNKNOWN_STRING_VALUE, "permissions": ["ALL"]}],
        RAISES,
    ),
    ("lf-admins-allowlisted", "settings", ("admins",), UNKNOWN_ARRAY_VALUE, RAISES),
    ("lf-admins-allowlisted", "settings", ("admins",), [DEPLOYER, UNKNOWN_STRING_VALUE], RAISES),
    ("lf-no-grants-to-iam-allowed-principals", "role-grant", ("principal",), UNKNOWN_STRING_VALUE, RAISES),
    # Permissions are read by the ALL and location-access policies; the grant option only needs their count.
    *(
        (policy, baseline, path, value, outcome)
        for policy in (ALL_TO_PRODUCERS, LOCATION_ACCESS)
        for baseline, path, value, outcome in (
            ("role-grant", ("permissions",), UNKNOWN_ARRAY_VALUE, RAISES),
            ("role-grant", ("permissions",), ["SELECT", UNKNOWN_STRING_VALUE], RAISES),
            ("account-grant", ("permissionsWithGrantOptions",), UNKNOWN_ARRAY_VALUE, RAISES),
            ("account-grant", ("permissionsWithGrantOptions",), [UNKNOWN_STRING_VALUE], RAISES),
            # Narrow permissions need no principal judged.
            ("account-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
            ("role-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
        )
    ),
    (GRANT_OPTION, "role-grant", ("permissions",), UNKNOWN_ARRAY_VALUE, 0),
    (GRANT_OPTION, "account-grant", ("permissionsWithGrantOptions",), UNKNOWN_ARRAY_VALUE, RAISES),
    (GRANT_OPTION, "account-grant", ("permissionsWithGrantOptions",), [UNKNOWN_STRING_VALUE], 0),
    # The grant option needs the principal judged.
    (GRANT_OPTION, "account-grant", ("principal",), UNKNOWN_STRING_VALUE, RAISES),
    (GRANT_OPTION, "role-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    *(
        (policy, "account-grant", path, value, RAISES if policy != TAG_BASED else 0)
        for policy in (VOCABULARY, SENS_POLICY, TAG_BASED)
        for path, value in (
            (("lfTagPolicy",), UNKNOWN_OBJECT_VALUE),
            (("lfTagPolicy", "expressions"), UNKNOWN_ARRAY_VALUE),
            (("lfTagPolicy", "expressions", 1, "key"), UNKNOWN_STRING_VALUE),
            (("lfTagPolicy", "expressions", 1, "values"), UNKNOWN_ARRAY_VALUE),
            (("lfTagPolicy", "expressions", 1, "values", 0), UNKNOWN_STRING_VALUE),
        )
    ),
    # The principal is read only when a finding depends on it.
    (SENS_POLICY, "account-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    (SENS_POLICY, "named-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    (SENS_POLICY, "role-grant", ("principal",), UNKNOWN_STRING_VALUE, RAISES),
    (SENS_POLICY, "tag-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    (TAG_BASED, "account-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    (TAG_BASED, "named-grant", ("principal",), UNKNOWN_STRING_VALUE, RAISES),
    (VOCABULARY, "named-grant", ("principal",), UNKNOWN_STRING_VALUE, 0),
    (VOCABULARY, "tag-grant", ("lfTag",), UNKNOWN_OBJECT_VALUE, RAISES),
    (VOCABULARY, "tag-grant", ("lfTag", "values", 0), UNKNOWN_STRING_VALUE, RAISES),
    (VOCABULARY, "lf-tag", ("key",), UNKNOWN_STRING_VALUE, RAISES),
    (VOCABULARY, "lf-tag", ("values",), UNKNOWN_ARRAY_VALUE, RAISES),
    (VOCABULARY, "lf-tag", ("values", 2), UNKNOWN_STRING_VALUE, RAISES),
    (VOCABULARY, "resource-lf-tags", ("lfTags",), UNKNOWN_ARRAY_VALUE, RAISES),
    (VOCABULARY, "resource-lf-tags", ("lfTags", 0, "key"), UNKNOWN_STRING_VALUE, RAISES),
    (VOCABULARY, "resource-lf-tags", ("lfTags", 0, "value"), UNKNOWN_STRING_VALUE, RAISES),
    (ROLE_POLICY, "location", ("roleArn",), UNKNOWN_STRING_VALUE, 0),
    (ROLE_POLICY, "location", ("useServiceLinkedRole",), UNKNOWN_BOOLEAN_VALUE, RAISES),
    (ROLE_POLICY, "location", ("hybridAccessEnabled",), UNKNOWN_BOOLEAN_VALUE, 0),
    (HYBRID, "location", ("hybridAccessEnabled",), UNKNOWN_BOOLEAN_VALUE, RAISES),
    (HYBRID, "location", ("useServiceLinkedRole",), UNKNOWN_BOOLEAN_VALUE, 0),
    (AT_REST, "catalog-encryption", ("dataCatalogEncryptionSettings",), UNKNOWN_OBJECT_VALUE, RAISES),
    (PASSWORDS, "catalog-encryption", ("dataCatalogEncryptionSettings",), UNKNOWN_OBJECT_VALUE, RAISES),
    (AT_REST, "catalog-encryption", SA, UNKNOWN_OBJECT_VALUE, RAISES),
    (PASSWORDS, "catalog-encryption", SA, UNKNOWN_OBJECT_VALUE, 0),
    (AT_REST, "catalog-encryption", (*SA, "catalogEncryptionMode"), UNKNOWN_STRING_VALUE, RAISES),
    (AT_REST, "catalog-encryption", (*SA, "sseAwsKmsKeyId"), UNKNOWN_STRING_VALUE, 0),
    (PASSWORDS, "catalog-encryption", CP, UNKNOWN_OBJECT_VALUE, RAISES),
    (AT_REST, "catalog-encryption", CP, UNKNOWN_OBJECT_VALUE, 0),
    (PASSWORDS, "catalog-encryption", (*CP, "returnConnectionPasswordEncrypted"), UNKNOWN_BOOLEAN_VALUE, RAISES),
    (PASSWORDS, "catalog-encryption", (*CP, "awsKmsKeyId"), UNKNOWN_STRING_VALUE, 0),
    (ATTACHED, "job", ("securityConfiguration",), UNKNOWN_STRING_VALUE, 0),
    (ATTACHED, "crawler", ("securityConfiguration",), UNKNOWN_STRING_VALUE, 0),
    (ENCRYPTS, "security-configuration", EC, UNKNOWN_OBJECT_VALUE, RAISES),
    *(
        case
        for block, mode in (
            ("s3Encryption", "s3EncryptionMode"),
            ("cloudwatchEncryption", "cloudwatchEncryptionMode"),
            ("jobBookmarksEncryption", "jobBookmarksEncryptionMode"),
        )
        for case in (
            (ENCRYPTS, "security-configuration", (*EC, block), UNKNOWN_OBJECT_VALUE, RAISES),
            (ENCRYPTS, "security-configuration", (*EC, block, mode), UNKNOWN_STRING_VALUE, RAISES),
            (ENCRYPTS, "security-configuration", (*EC, block, "kmsKeyArn"), UNKNOWN_STRING_VALUE, 0),
        )
    ),
]


@pytest.mark.parametrize(
    ("policy", "baseline", "path", "value", "outcome"),
    UNKNOWN,
    ids=[f"{c[0]}:{c[1]}:{'.'.join(map(str, c[2]))}" for c in UNKNOWN],
)
def test_unknown_values_count_as_set_or_stop_the_policy(
    policy: str, baseline: str, path: Path, value: Any, outcome: str | int
) -> None:
    token, props = changed(baseline, path, value)
    if outcome == RAISES:
        with pytest.raises(UnknownValueError):
            check(policy, token, props)
    else:
        assert len(check(policy, token, props)) == outcome


def test_an_unknown_named_resource_counts_as_set() -> None:
    token, props = changed("named-grant", ("principal",), READONLY)
    props["database"] = UNKNOWN_OBJECT_VALUE
    assert_reported(check(TAG_BASED, token, props), ("database grants a named database",))


def test_an_unknown_value_stops_only_its_own_check() -> None:
    token, props = changed("security-configuration", (*EC, "s3Encryption", "s3EncryptionMode"), UNKNOWN_STRING_VALUE)
    props["encryptionConfiguration"]["cloudwatchEncryption"]["cloudwatchEncryptionMode"] = "DISABLED"
    messages, unknown = run_directly(ENCRYPTS, token, props, {})
    assert unknown is not None and unknown.props == ["encryptionConfiguration", "s3Encryption", "s3EncryptionMode"]
    assert_reported(messages, ("encryptionConfiguration.cloudwatchEncryption.cloudwatchEncryptionMode is 'DISABLED'",))


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONFIG_DEFAULTS))
def test_an_empty_config_falls_back_to_the_defaults(name: str) -> None:
    """The engine sends the schema defaults; without any, the rules use the same module defaults."""
    bad = next(case for case in BAD if case.policy == name and not case.config)
    token, props = changed(bad.baseline, bad.path, bad.value)
    messages, unknown = run_directly(name, token, props, {})
    assert unknown is None
    assert messages == check(name, token, props)
    for baseline in BASELINES.values():
        assert run_directly(name, *baseline, {}) == ([], None)


CONFIGURED: list[tuple[str, str, Path, Any, dict[str, Any], int]] = [
    # allowedAdmins: another allowlist makes the program's deployer a violation, and admits a new role.
    ("lf-admins-allowlisted", "settings", (), None, {"allowedAdmins": ["arn:aws:iam::*:role/lake-admin"]}, 1),
    (
        "lf-admins-allowlisted",
        "settings",
        ("admins",),
        ["arn:aws:iam::333333333333:role/lake-admin"],
        {"allowedAdmins": ["arn:aws:iam::333333333333:role/lake-*"]},
        0,
    ),
    # grantOptionPrincipals: none at all, or a role too.
    (GRANT_OPTION, "account-grant", (), None, {"grantOptionPrincipals": []}, 1),
    (
        GRANT_OPTION,
        "role-grant",
        ("permissionsWithGrantOptions",),
        ["SELECT"],
        {"grantOptionPrincipals": ["^[0-9]{12}$", "data-engineering$"]},
        0,
    ),
    # producerPrincipals: a producer role may hold ALL, and DATA_LOCATION_ACCESS on one location ...
    (
        ALL_TO_PRODUCERS,
        "table-grant",
        ("permissions",),
        ["ALL"],
        {"producerPrincipals": [":role/mlops/mlops-datasci-studio-execution$"]},
        0,
    ),
    (
        LOCATION_ACCESS,
        "location-grant",
        ("principal",),
        EXECUTION,
        {"producerPrincipals": [":role/mlops/mlops-datasci-studio-execution$"]},
        0,
    ),
    # ... and a role that is not listed may not.
    (LOCATION_ACCESS, "location-grant", (), None, {"producerPrincipals": []}, 1),
    # vocabulary: a new value is admitted; a smaller vocabulary rejects the program's own tags.
    (
        VOCABULARY,
        "role-grant",
        ("lfTagPolicy", "expressions", 0, "values"),
        ["raw", "gold"],
        {"vocabulary": {"classification": ["public", "internal", "sensitive"], "layer": ["raw", "gold"]}},
        0,
    ),
    (VOCABULARY, "lf-tag", (), None, {"vocabulary": {"classification": ["public", "internal"]}}, 1),
    (VOCABULARY, "resource-lf-tags", (), None, {"vocabulary": {"layer": ["raw"]}}, 1),
    # consumerPrincipals: the data science execution role's named table grant becomes a consumer grant;
    # with no consumers, a named grant to the data science account is not judged.
    (
        TAG_BASED,
        "table-grant",
        (),
        None,
        {"consumerPrincipals": [":role/mlops/mlops-datasci-studio-execution$"]},
        1,
    ),
    (TAG_BASED, "named-grant", ("principal",), CONSUMER_ACCOUNT, {"consumerPrincipals": []}, 0),
    # lf-sensitive-never-to-consumers, consumerPrincipals: a producer role becomes a consumer; with no
    # consumers, the sensitive value granted to the data science account is not judged.
    (
        SENS_POLICY,
        "role-grant",
        ("lfTagPolicy", "expressions"),
        [*SAFE_EXPRESSIONS[:1], SENSITIVE_EXPRESSION],
        {"consumerPrincipals": [":role/mlops/mlops-datamgmt-data-engineering$"]},
        1,
    ),
    (
        SENS_POLICY,
        "account-grant",
        ("lfTagPolicy", "expressions", 1, "values"),
        ["internal", "sensitive"],
        {"consumerPrincipals": []},
        0,
    ),
    # sensitive: another key and value.
    (SENS_POLICY, "account-grant", (), None, {"sensitive": {"key": "layer", "value": "features"}}, 1),
    (
        SENS_POLICY,
        "account-grant",
        ("lfTagPolicy", "expressions", 1, "values"),
        ["internal", "sensitive"],
        {"sensitive": {"key": "classification", "value": "restricted"}},
        0,
    ),
    (
        SENS_POLICY,
        "account-grant",
        ("lfTagPolicy", "expressions"),
        SAFE_EXPRESSIONS[:1],
        {"sensitive": {"key": "layer", "value": "raw"}},
        0,
    ),
]


@pytest.mark.parametrize(
    ("policy", "baseline", "path", "value", "config", "count"),
    CONFIGURED,
    ids=[f"{c[0]}:{c[1]}:{json.dumps(c[4])[:50]}" for c in CONFIGURED],
)
def test_the_config_changes_the_verdict(
    policy: str, baseline: str, path: Path, value: Any, config: dict[str, Any], count: int
) -> None:
    token, props = changed(baseline, path, value) if path else BASELINES[baseline]
    with_defaults = check(policy, token, props)
    configured = check(policy, token, props, config=config)
    assert len(configured) == count, configured
    assert len(with_defaults) != count, with_defaults  # the verdict really changed


def test_a_bad_regex_in_the_config_is_named() -> None:
    with pytest.raises(ValueError, match=r"lf-all-only-to-producers: config producerPrincipals entry '\(' "):
        check(
            ALL_TO_PRODUCERS,
            *changed("role-grant", ("permissions",), ["ALL"]),
            {"producerPrincipals": ["("]},
        )
