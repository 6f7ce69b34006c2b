"""The import fences: the contracts import no Pulumi, provider or cloud SDK; the program, the offline
engine and the live operations import the contracts and not each other; and the job-settings
document the stacks publish is the one ``ops`` parses."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pulumi_aws
import pytest

from contracts.job_settings import JobSettings, SettingsError, TrainingSettings
from contracts.regions import REGIONS
from offline.engine import StackPreview
from tests.conftest import ROOT, one

SDKS = {"pulumi", "pulumi_aws", "pulumi_policy", "boto3", "botocore", "sagemaker", "grpc"}


def imported_modules(paths: list[Path]) -> set[str]:
    """Top-level names every file imports, at any depth of the file (function-level imports too)."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def loaded_by(code: str) -> set[str]:
    """Top-level packages loaded in a fresh interpreter by ``code``: what an import really pulls in."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    return set(done.stdout.split())


def test_the_contracts_import_no_sdk_and_no_part_of_the_platform() -> None:
    contracts = list((ROOT / "contracts").rglob("*.py"))
    assert imported_modules(contracts).isdisjoint(SDKS | {"components", "offline", "ops"})


def test_validating_settings_loads_no_pulumi() -> None:
    loaded = loaded_by(
        "from contracts import config\n"
        "from contracts.project import load_project, stack_config\n"
        "project = load_project(__import__('pathlib').Path('.'))\n"
        "config.parse(stack_config(project, 'datasci'), project=project.name, stack='datasci',"
        " project_dir=project.directory, environ={})"
    )
    assert loaded.isdisjoint(SDKS | {"components", "offline", "ops"}), loaded & (SDKS | {"components", "offline"})


def test_the_program_imports_neither_ops_nor_offline_nor_cloud_sdks() -> None:
    program = [ROOT / "__main__.py", *(ROOT / "components").rglob("*.py")]
    assert imported_modules(program).isdisjoint({"offline", "ops", "boto3", "botocore", "sagemaker"})


def test_the_offline_engine_imports_neither_the_program_nor_cloud_sdks() -> None:
    engine = list((ROOT / "offline").rglob("*.py"))
    assert imported_modules(engine).isdisjoint({"components", "ops", "boto3", "botocore", "sagemaker", "pulumi_aws"})


def test_operations_import_neither_the_program_nor_the_engine_nor_pulumi() -> None:
    operations = list((ROOT / "ops").rglob("*.py"))
    assert imported_modules(operations).isdisjoint({"components", "offline", "pulumi", "pulumi_aws"})
    loaded = loaded_by("import ops.__main__, ops.audit, ops.aws, ops.catalog")
    assert loaded.isdisjoint({"components", "offline", "pulumi", "pulumi_aws"}), loaded


def test_the_region_list_is_the_providers() -> None:
    assert set(REGIONS) == {region.value for region in pulumi_aws.Region}


def test_the_published_job_settings_are_what_ops_parses(stack: Callable[[str], StackPreview]) -> None:
    for name in ("datasci", "datamgmt"):
        preview = stack(name)
        value = one(preview, "aws:ssm/parameter:Parameter").inputs["value"]
        settings = JobSettings.parse(json.loads(value), name)
        assert settings.to_json() == value
        assert settings.account_id == preview.result.account_id and settings.training is not None
        assert settings.training.role_arn == preview.result.outputs["trainingRoleArn"]


def test_job_settings_round_trip_and_refuse_what_the_stacks_do_not_publish() -> None:
    settings = JobSettings(
        "111111111111",
        "eu-west-1",
        "arn:aws:iam::111111111111:role/r",
        "b",
        ("subnet-1",),
        ("sg-1",),
        "arn:aws:kms:eu-west-1:111111111111:key/k",
        "mlops-feature-",
        TrainingSettings("arn:aws:iam::111111111111:role/t", "t", "w", "db", "arn:g", "mlops-training-"),
    )
    assert JobSettings.parse(json.loads(settings.to_json()), "here") == settings
    broken = json.loads(settings.to_json())
    del broken["kmsKeyArn"]
    with pytest.raises(SettingsError, match=r"^here: 'kmsKeyArn' is missing or malformed; expected the settings"):
        JobSettings.parse(broken, "here")
