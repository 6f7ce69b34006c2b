"""contracts/config.py: every bad value stops the program with one line naming key, value and form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from contracts import config
from contracts.config import ConfigError, Settings
from tests.conftest import ROOT, raw_config

P = "mlops-feature-platform"


def parse(raw: dict[str, str], environ: dict[str, str] | None = None) -> Settings:
    return config.parse(raw, project=P, stack="test", project_dir=ROOT, environ=environ or {})


def with_changes(stack: str, **changes: object) -> dict[str, str]:
    """The stack's real configuration with some keys changed (None removes a key)."""
    raw = raw_config(stack)
    for key, value in changes.items():
        full = key.replace("__", ":") if "__" in key else f"{P}:{key}"
        if value is None:
            raw.pop(full, None)
        else:
            raw[full] = value if isinstance(value, str) else json.dumps(value)
    return raw


@pytest.mark.parametrize("stack", ["tooling", "datamgmt", "datasci"])
def test_the_shipped_stack_files_are_valid(stack: str) -> None:
    settings = parse(raw_config(stack))
    assert settings.role == stack
    assert settings.region == "eu-west-1"
    assert (settings.network is None) == (stack == "tooling")


def test_datasci_settings_carve_one_subnet_per_zone() -> None:
    settings = parse(raw_config("datasci"))
    assert settings.account_id == "222222222222"
    assert settings.network is not None
    assert settings.network.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert settings.network.subnet_cidrs == ("10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20")
    assert settings.team is not None and settings.team.name == "analytics" and settings.team.stack == "datasci"
    assert set(settings.team.leads) <= set(settings.people.data_scientists)
    assert settings.protect is True
    assert settings.network.interface_endpoints[:3] == (
        "sagemaker.api",
        "sagemaker.runtime",
        "sagemaker.featurestore-runtime",
    )
    assert settings.lake_formation_admins == ("arn:aws:iam::222222222222:role/pulumi-deployer",)


def test_explicit_subnets_are_kept_in_zone_order() -> None:
    raw = with_changes("datamgmt", subnetCidrs=["10.30.64.0/24", "10.30.8.0/24", "10.30.9.0/24"])
    assert parse(raw).network.subnet_cidrs == ("10.30.64.0/24", "10.30.8.0/24", "10.30.9.0/24")  # type: ignore[union-attr]


def test_settings_are_frozen() -> None:
    settings = parse(raw_config("tooling"))
    with pytest.raises(AttributeError):
        settings.region = "us-east-1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.extra_tags["Owner"] = "x"  # type: ignore[index]


def test_extra_tags_and_git_revision_reach_the_common_tags() -> None:
    raw = with_changes("tooling", extraTags=["CostCenter=ml-platform", "Owner = data team"])
    tags = parse(raw, environ={"GITHUB_SHA": "0123abcd" * 5}).tags
    assert tags["CostCenter"] == "ml-platform"
    assert tags["Owner"] == "data team"
    assert tags["mlops:git-revision"] == "0123abcd" * 5
    assert tags["mlops:account-role"] == "tooling"
    assert tags["mlops:stack"] == "test"


TWO_TEAMS = ["analytics: 222222222222 alice@example.com", "fraud: 444444444444 erin@example.com"]

# (stack, changes, fragments the one-line message must contain)
BAD: list[tuple[str, dict[str, object], list[str]]] = [
    ("tooling", {"accountRole": None}, [f"{P}:accountRole", "missing"]),
    ("tooling", {"accountRole": "staging"}, ["'staging'", "one of tooling, datamgmt, datasci, preprod"]),
    ("tooling", {"toolingAccountId": "12345"}, [f"{P}:toolingAccountId", "'12345'", "12 digits"]),
    ("tooling", {"datasciAccountId": "222222222222"}, [f"{P}:datasciAccountId", "replaced", "dataScienceTeams"]),
    ("tooling", {"datamgmtAccountId": "111111111111"}, ["datamgmtAccountId", "also the tooling account"]),
    ("tooling", {"dataScienceTeams": []}, ["dataScienceTeams", "is empty", "TEAM: ACCOUNT_ID LEAD"]),
    ("tooling", {"dataScienceTeams": "analytics"}, ["dataScienceTeams", "not a list of strings"]),
    (
        "tooling",
        {"dataScienceTeams": ["analytics 222222222222 alice@example.com"]},
        ["dataScienceTeams", "is not a team", "TEAM: ACCOUNT_ID LEAD[, LEAD]"],
    ),
    (
        "tooling",
        {"dataScienceTeams": ["Fraud_Team: 444444444444 erin@example.com"]},
        ["'Fraud_Team'", "not a valid stack suffix", "lowercase letters"],
    ),
    (
        "tooling",
        {"dataScienceTeams": ["production: 444444444444 erin@example.com"]},
        ["'production'", "not a valid stack suffix"],
    ),
    (
        "tooling",
        {"dataScienceTeams": ["analytics: 222222222222 alice@example.com", "analytics: 444444444444 erin@example.com"]},
        ["repeats the team 'analytics'", "each team once"],
    ),
    (
        "tooling",
        {"dataScienceTeams": ["analytics: 222222222222 alice@example.com", "fraud: 222222222222 erin@example.com"]},
        ["fraud: 222222222222", "the analytics team's account", "an account per team"],
    ),
    (
        "tooling",
        {"dataScienceTeams": ["analytics: 333333333333 alice@example.com"]},
        ["uses 333333333333", "datamgmtAccountId"],
    ),
    ("tooling", {"dataScienceTeams": ["analytics: 2222 alice@example.com"]}, ["'2222'", "not an AWS account ID"]),
    ("tooling", {"dataScienceTeams": ["analytics: 222222222222 alice"]}, ["lead 'alice'", "not an e-mail"]),
    (
        "tooling",
        {"dataScienceTeams": TWO_TEAMS, "featureBranchPattern": "feature/**"},
        ["featureBranchPattern", "'feature/**'", "also matches feature/fraud/...", "such as feature/*"],
    ),
    ("tooling", {"featureBranchPattern": "feature/{a,b"}, ["featureBranchPattern", "{ is never closed"]),
    ("tooling", {"featureBranchPattern": "*"}, ["featureBranchPattern", "matches the production branch"]),
    (
        "tooling",
        {"productionBranch": "feature/analytics/main"},
        ["productionBranch", "a branch of the analytics team (feature/analytics/**)"],
    ),
    ("tooling", {"preprodAccountId": "111111111111"}, ["preprodAccountId", "also toolingAccountId"]),
    ("tooling", {"preprodAccountId": "66"}, ["preprodAccountId", "'66'", "12 digits"]),
    ("tooling", {"dataScienceTeam": "analytics"}, ["dataScienceTeam", "tooling stack belongs to no team", "unset"]),
    ("datasci", {"dataScienceTeam": "fraud"}, ["dataScienceTeam", "'fraud'", "one of analytics"]),
    (
        "datasci",
        {"accountRole": "preprod"},
        ["preprodAccountId", "not set, but this is the preprod stack", "12-digit account ID"],
    ),
    (
        "datasci",
        {"dataScientists": ["bob@example.com"]},
        ["dataScientists", "lacks alice@example.com, a lead of the analytics team"],
    ),
    ("datamgmt", {"teamTag": "team"}, ["teamTag", "'team'", "not a tag key of lfTags"]),
    ("datamgmt", {"teamTag": "layer"}, ["teamTag", "'layer'", "other than classification and layer"]),
    (
        "datamgmt",
        {
            "teamTag": "team",
            "lfTags": ["classification=public,internal,sensitive", "layer=raw,curated,features", "team=fraud"],
        },
        ["lfTags", "lacks the teams analytics", "values of teamTag team"],
    ),
    ("tooling", {"aws__region": "eu-westish-1"}, ["aws:region", "'eu-westish-1'", "such as eu-west-1"]),
    ("tooling", {"aws__region": None}, ["aws:region", "missing"]),
    ("tooling", {"aws__allowedAccountIds": ["222222222222"]}, ["aws:allowedAccountIds", "111111111111"]),
    ("tooling", {"aws__allowedAccountIds": None}, ["aws:allowedAccountIds", "missing"]),
    ("tooling", {"toolingStack": "tooling"}, ["toolingStack", "organization/project/stack"]),
    ("tooling", {"vpcCidr": "10.0.0.0/16"}, ["vpcCidr", "tooling account has no VPC", "unset"]),
    ("datasci", {"vpcCidr": "10.20.0.300/16"}, ["vpcCidr", "not an IPv4 network", "10.20.0.0/16"]),
    ("datasci", {"vpcCidr": "10.20.0.1/16"}, ["vpcCidr", "not an IPv4 network"]),
    ("datasci", {"vpcCidr": "10.0.0.0/8"}, ["vpcCidr", "/8", "/16 to /28"]),
    ("datasci", {"vpcCidr": "10.20.0.0/24"}, ["subnetPrefixLength", "too small for 3 subnets of /20", "/26 or longer"]),
    (
        "datasci",
        {"subnetCidrs": ["10.20.0.0/20", "10.20.8.0/21", "10.20.64.0/20"]},
        ["subnetCidrs", "overlap", "disjoint"],
    ),
    (
        "datasci",
        {"subnetCidrs": ["10.20.0.0/20", "10.21.0.0/20", "10.20.64.0/20"]},
        ["subnetCidrs", "outside VPC 10.20.0.0/16"],
    ),
    ("datasci", {"subnetCidrs": ["10.20.0.0/20"]}, ["subnetCidrs", "1 subnets for 3 zones"]),
    (
        "datasci",
        {
            # A /26 has 59 usable addresses; 16 endpoints leave 43, room for 10 users at 4 each.
            "subnetPrefixLength": "26",
            "dataScientists": ["alice@example.com", *(f"user{i}@example.com" for i in range(10))],
        },
        ["holds 10 Studio users", "after 16 endpoint addresses", "11 are configured"],
    ),
    ("datasci", {"interfaceEndpoints": ["sagemaker.api", "sts"]}, ["interfaceEndpoints", "lacks sagemaker.runtime"]),
    ("datasci", {"interfaceEndpoints": ["Sagemaker API"]}, ["'Sagemaker API'", "not an endpoint name"]),
    ("datasci", {"lakeFormationAdmins": []}, ["lakeFormationAdmins", "is empty"]),
    (
        "datasci",
        {"lakeFormationAdmins": ["arn:aws:iam::333333333333:role/pulumi-deployer"]},
        ["lakeFormationAdmins", "not an IAM role of this account (222222222222)"],
    ),
    (
        "datasci",
        {"lakeFormationAdmins": ["arn:aws:iam::222222222222:user/alice"]},
        ["lakeFormationAdmins", "not an IAM role"],
    ),
    ("tooling", {"lakeFormationAdmins": ["arn:aws:iam::111111111111:role/x"]}, ["tooling account has no data lake"]),
    ("datamgmt", {"availabilityZones": ["eu-west-1a", "eu-west-1b"]}, ["fewer than three zones", "Redshift"]),
    ("datamgmt", {"lakeDatabases": ["raw"]}, ["lakeDatabases", "lacks raw or curated"]),
    ("datamgmt", {"lakeDatabases": ["raw", "curated", "Gold"]}, ["'Gold'", "not a lake database name"]),
    ("datamgmt", {"lakeDatabases": ["raw", "curated", "features"]}, ["'features'", "the Feature Store's"]),
    ("datamgmt", {"lfTags": ["layer=raw,curated,features"]}, ["lfTags", "lacks classification"]),
    (
        "datamgmt",
        {"lfTags": ["classification=public,internal", "layer=raw,curated,features"]},
        ["lacks classification with public, internal, sensitive"],
    ),
    ("datamgmt", {"lfTags": ["classification public"]}, ["'classification public'", "not an LF-tag"]),
    ("datamgmt", {"lfTagAssignments": ["curated layer curated"]}, ["not a tag assignment", "DATABASE[.TABLE"]),
    ("datamgmt", {"lfTagAssignments": ["gold: layer=curated"]}, ["unknown database 'gold'"]),
    ("datamgmt", {"lfTagAssignments": ["curated: layer=gold"]}, ["'curated: layer=gold'", "outside the vocabulary"]),
    (
        "datamgmt",
        {"lfTagAssignments": ["raw: layer=raw", "raw: classification=internal", "curated: layer=curated"]},
        ["'curated: classification=?' is missing", "every lake database tagged"],
    ),
    ("tooling", {"sourceProvider": "gitlab"}, ["sourceProvider", "'gitlab'", "github or codecommit"]),
    ("tooling", {"sourceRepository": "mlops-feature-platform"}, ["sourceRepository", "owner/name"]),
    ("tooling", {"sourceProvider": "codecommit", "sourceRepository": "org/repo"}, ["not a codecommit repository"]),
    ("tooling", {"productionBranch": "release/*"}, ["productionBranch", "is a pattern", "one branch"]),
    ("tooling", {"featureBranchPattern": "feature branches"}, ["featureBranchPattern", "not a branch name"]),
    ("datamgmt", {"redshiftBaseCapacity": "12"}, ["redshiftBaseCapacity", "not a multiple of 8"]),
    ("datasci", {"studioIdleTimeoutMinutes": "30"}, ["studioIdleTimeoutMinutes", "'30'", "from 60 to 525600"]),
    ("datasci", {"availabilityZones": "eu-west-1a"}, ["availabilityZones", "not a list of strings"]),
    ("datasci", {"availabilityZones": ["eu-west-1a"]}, ["availabilityZones", "fewer than two zones"]),
    ("datasci", {"availabilityZones": ["eu-west-1a", "us-east-1b"]}, ["'us-east-1b'", "not a zone of eu-west-1"]),
    ("datasci", {"availabilityZones": ["eu-west-1a", "eu-west-1a"]}, ["repeats a zone"]),
    ("datasci", {"subnetPrefixLength": "twenty"}, ["subnetPrefixLength", "'twenty'", "not an integer"]),
    ("tooling", {"logRetentionDays": "-7"}, ["logRetentionDays", "'-7'", "365"]),
    ("tooling", {"protectResources": "yes"}, ["protectResources", "'yes'", "true or false"]),
    ("tooling", {"dataScientists": "alice@example.com"}, ["dataScientists", "not a list of strings"]),
    ("tooling", {"dataScientists": '{"alice": "alice@example.com"}'}, ["dataScientists", "not a list"]),
    ("tooling", {"dataScientists": ["alice"]}, ["dataScientists", "'alice'", "not an e-mail address"]),
    (
        "tooling",
        {"dataScientists": ["alice@example.com", "Alice@other.org"]},
        ["gives the Studio profile name 'alice'"],
    ),
    ("tooling", {"leadDataScientist": "carol@example.com"}, ["leadDataScientist", "replaced", "each team's leads"]),
    ("tooling", {"leadDataEngineer": "alice@example.com"}, ["leadDataEngineer", "not a known data engineer"]),
    ("tooling", {"leadDataEngineer": '["dana@example.com"]'}, ["leadDataEngineer", "a single string"]),
    ("tooling", {"extraTags": ["CostCenter"]}, ["extraTags", "Key=Value"]),
    ("tooling", {"extraTags": ["aws:owner=me"]}, ["extraTags", "reserved tag prefix"]),
    ("tooling", {"extraTags": ["A=1", "A=2"]}, ["repeats a tag key"]),
    ("tooling", {"featureCatalogDir": "../elsewhere"}, ["featureCatalogDir", "relative path inside the project"]),
    ("tooling", {"featureCatalogDir": "no-such-folder"}, ["featureCatalogDir", "not a folder"]),
    ("tooling", {"vpcCdir": "10.0.0.0/16"}, [f"{P}:vpcCdir", "unknown key", "vpcCidr"]),
    ("tooling", {"auditSchedule": "nightly"}, [f"{P}:auditSchedule", "'nightly'", "not a schedule expression"]),
    ("tooling", {"auditSchedule": "rate(30 minutes)"}, ["'rate(30 minutes)'", "more often than hourly"]),
    ("tooling", {"auditSchedule": "rate(1 days)"}, ["'rate(1 days)'", "the unit 'days' for 1"]),
    ("tooling", {"auditSchedule": "cron(0 2 * * MON *)"}, ["sets both day-of-month and day-of-week"]),
    ("tooling", {"auditSchedule": "cron(*/5 2 * * ? *)"}, ["more often than hourly", "one minute"]),
]


@pytest.mark.parametrize(
    ("stack", "changes", "fragments"), BAD, ids=[f"{i}-{next(iter(changes))}" for i, (_, changes, _) in enumerate(BAD)]
)
def test_bad_configuration_gives_one_clear_line(stack: str, changes: dict[str, object], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(with_changes(stack, **changes))
    message = str(caught.value)
    assert "\n" not in message
    assert "expected" in message
    for fragment in fragments:
        assert fragment in message


def test_a_git_revision_that_is_not_hex_is_refused() -> None:
    with pytest.raises(ConfigError, match="GIT_COMMIT: 'main' is not a git revision"):
        parse(raw_config("tooling"), environ={"GIT_COMMIT": "main"})


def test_config_keys_match_the_schema_in_pulumi_yaml() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert set(declared) == set(config.KEYS)
    for key, declaration in declared.items():
        assert declaration.get("description"), f"{key} has no description"
        assert declaration["type"] in ("string", "integer", "boolean", "array"), key


def test_stack_files_hold_only_what_differs_per_account() -> None:
    """Shared values live in Pulumi.yaml; a stack file repeating one would drift."""
    shared = {
        f"{P}:{key}"
        for key in ("toolingAccountId", "datamgmtAccountId", "dataScienceTeams", "preprodAccountId", "dataEngineers")
    }
    for path in Path(ROOT).glob("Pulumi.*.yaml"):
        keys = set(yaml.safe_load(path.read_text())["config"])
        assert not keys & shared, path.name


def test_default_interface_endpoints_match_the_network_defaults() -> None:
    from contracts.endpoints import DEFAULT_INTERFACE_ENDPOINTS

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]["interfaceEndpoints"]["default"]
    assert tuple(declared) == DEFAULT_INTERFACE_ENDPOINTS


def test_lake_settings_parse_tags_and_assignments() -> None:
    raw = with_changes(
        "datamgmt",
        lfTagAssignments=[
            "raw: layer=raw",
            "raw: classification=internal",
            "curated: layer=curated",
            "curated: classification=internal",
            "curated.customers.email: classification=sensitive",
        ],
    )
    lake = parse(raw).lake
    assert lake.databases == ("raw", "curated")
    assert lake.tags["classification"] == ("public", "internal", "sensitive")
    column = lake.assignments[-1]
    assert (column.database, column.table, column.column, column.key, column.value) == (
        "curated",
        "customers",
        "email",
        "classification",
        "sensitive",
    )


TEAMS = [
    "analytics: 222222222222 alice@example.com",
    "fraud: 444444444444 erin@example.com",
    "pricing: 555555555555 frank@example.com, alice@example.com",
]


def test_teams_give_every_account_feature_jobs_run_in_and_the_approvers() -> None:
    settings = parse(with_changes("tooling", dataScienceTeams=TEAMS, preprodAccountId="666666666666"))
    assert [(t.name, t.stack, t.branches) for t in settings.accounts.teams] == [
        ("analytics", "datasci", "feature/analytics/**"),
        ("fraud", "datasci-fraud", "feature/fraud/**"),
        ("pricing", "datasci-pricing", "feature/pricing/**"),
    ]
    targets = settings.cross_account_roles.targets
    assert [(t.stack, t.role, t.account_id, t.pipeline) for t in targets] == [
        ("datasci", "datasci", "222222222222", "analytics"),
        ("datasci-fraud", "datasci", "444444444444", "fraud"),
        ("datasci-pricing", "datasci", "555555555555", "pricing"),
        ("preprod", "preprod", "666666666666", "production"),
        ("datamgmt", "datamgmt", "333333333333", "production"),
    ]
    # Every team's leads, each once, then the lead data engineer.
    assert settings.approvers == ("alice@example.com", "erin@example.com", "frank@example.com", "dana@example.com")


def test_a_teams_stack_knows_its_team_and_its_account() -> None:
    raw = with_changes(
        "datasci",
        dataScienceTeams=TEAMS,
        dataScienceTeam="fraud",
        dataScientists=["erin@example.com"],
        aws__allowedAccountIds=["444444444444"],
        lakeFormationAdmins=["arn:aws:iam::444444444444:role/pulumi-deployer"],
    )
    settings = parse(raw)
    assert settings.team is not None and settings.team.name == "fraud"
    assert settings.account_id == "444444444444"
    assert settings.target.runner == "arn:aws:iam::444444444444:role/mlops/mlops-datasci-feature-runner"
    # The stack refuses to deploy into another team's account.
    with pytest.raises(ConfigError, match="does not hold the datasci account 444444444444"):
        parse({**raw, "aws:allowedAccountIds": '["222222222222"]'})


def test_a_preprod_stack_has_a_network_and_no_studio_users() -> None:
    raw = with_changes(
        "datasci",
        accountRole="preprod",
        preprodAccountId="666666666666",
        aws__allowedAccountIds=["666666666666"],
        lakeFormationAdmins=["arn:aws:iam::666666666666:role/pulumi-deployer"],
    )
    settings = parse(raw)
    assert settings.role == "preprod" and settings.team is None and settings.network is not None
    assert settings.target.job_execution == "arn:aws:iam::666666666666:role/mlops/mlops-preprod-job-execution"


def test_a_team_tag_names_every_team() -> None:
    tags = ["classification=public,internal,sensitive", "layer=raw,curated,features", "team=analytics,fraud,pricing"]
    settings = parse(with_changes("datamgmt", dataScienceTeams=TEAMS, teamTag="team", lfTags=tags))
    assert settings.team_tag == "team"
    assert parse(raw_config("datamgmt")).team_tag == ""
