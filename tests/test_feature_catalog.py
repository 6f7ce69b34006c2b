"""contracts/feature_catalog.py: the shipped catalog loads, and every bad file stops with one line.

Each bad case starts from a valid feature group, changes one thing, and checks that the message names
the file, the field path and the bad value, and says what was expected.
"""

from __future__ import annotations

import ast
import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import feature_catalog as catalog
from contracts.feature_catalog import CatalogError, Feature, FeatureGroupSpec, load_catalog, load_spec
from tests.conftest import ROOT, raw_config

P = "mlops-feature-platform"
SHOWN = "features/churn-lite.yaml"

BASE: dict[str, Any] = {
    "name": "churn-lite",
    "description": "A small valid feature group for tests",
    "owner": "alice@example.com",
    "record_identifier": "customer_id",
    "event_time": "event_time",
    "online_store": True,
    "ttl_days": 30,
    "classification": "internal",
    "features": [
        {"name": "customer_id", "type": "String", "description": "Customer key"},
        {"name": "event_time", "type": "String", "description": "Snapshot time, ISO-8601"},
        {"name": "tenure_months", "type": "Integral", "description": "Months subscribed"},
        {"name": "monthly_charges", "type": "Fractional", "description": "Charge per month"},
    ],
}

Change = Callable[[dict[str, Any]], None]


def write(folder: Path, data: object, name: str = "churn-lite") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def changed(change: Change) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _parent(data: dict[str, Any], path: str) -> tuple[Any, Any]:
    *parents, last = (int(part) if part.isdigit() else part for part in path.split("."))
    node: Any = data
    for part in parents:
        node = node[part]
    return node, last


def at(path: str, value: object) -> Change:
    """Set one value, by a dotted path such as features.2.type."""

    def change(data: dict[str, Any]) -> None:
        node, last = _parent(data, path)
        node[last] = value

    return change


def drop(path: str) -> Change:
    def change(data: dict[str, Any]) -> None:
        node, last = _parent(data, path)
        del node[last]

    return change


def rename(path: str, new: object) -> Change:
    def change(data: dict[str, Any]) -> None:
        node, last = _parent(data, path)
        node[new] = node.pop(last)

    return change


def error_of(path: Path) -> str:
    with pytest.raises(CatalogError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


# --- the shipped catalog ------------------------------------------------------------------------


def test_the_shipped_catalog_is_the_folder_the_program_reads() -> None:
    assert raw_config("datasci")[f"{P}:featureCatalogDir"] == "features"
    specs = load_catalog(ROOT / "features")
    assert [spec.name for spec in specs] == ["customer-churn"]


def test_the_customer_churn_example_has_what_the_program_relies_on() -> None:
    (spec,) = load_catalog(ROOT / "features")
    assert spec.source == ROOT / "features" / "customer-churn.yaml"
    assert spec.record_identifier == "customer_id"
    assert spec.event_time == "event_time"
    assert spec.online_store is True
    assert spec.ttl_days == 30
    assert spec.classification == "internal"
    assert spec.owner in raw_config("datasci")[f"{P}:dataScienceTeams"]
    assert spec.team is None  # the first team's
    types = {feature.name: feature.type for feature in spec.features}
    assert types["customer_id"] == "String"
    assert types["event_time"] == "String"
    assert types["tenure_months"] == "Integral"
    assert types["monthly_charges"] == "Fractional"
    assert 8 <= len(spec.features) - 2 <= 10
    assert all(feature.description for feature in spec.features)


def test_a_valid_file_loads_into_frozen_specs(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path / "features", BASE))
    assert spec.name == "churn-lite"
    assert spec.features[3] == Feature("monthly_charges", "Fractional", "Charge per month")
    assert spec.source == tmp_path / "features" / "churn-lite.yaml"
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]


def test_features_keep_file_order(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path / "features", BASE))
    assert [(f.name, f.type) for f in spec.features] == [
        ("customer_id", "String"),
        ("event_time", "String"),
        ("tenure_months", "Integral"),
        ("monthly_charges", "Fractional"),
    ]


@pytest.mark.parametrize(
    ("change", "check"),
    [
        pytest.param(drop("ttl_days"), lambda s: s.ttl_days is None, id="ttl-optional"),
        pytest.param(at("ttl_days", None), lambda s: s.ttl_days is None, id="ttl-null-is-unset"),
        pytest.param(at("ttl_days", 36500), lambda s: s.ttl_days == 36500, id="ttl-maximum"),
        pytest.param(
            lambda d: (d.pop("ttl_days"), d.update(online_store=False)),
            lambda s: s.online_store is False,
            id="offline-only",
        ),
        pytest.param(
            at("features.0.type", "Integral"), lambda s: s.features[0].type == "Integral", id="integral-identifier"
        ),
        pytest.param(
            at("features.1.type", "Fractional"), lambda s: s.features[1].type == "Fractional", id="unix-event-time"
        ),
        pytest.param(at("description", "  Padded  \n"), lambda s: s.description == "Padded", id="description-stripped"),
        pytest.param(
            at("features.2.name", "tenure-months"), lambda s: s.features[2].name == "tenure-months", id="hyphen-name"
        ),
        pytest.param(at("classification", "sensitive"), lambda s: s.classification == "sensitive", id="sensitive"),
    ],
)
def test_valid_variants_load(tmp_path: Path, change: Change, check: Callable[[FeatureGroupSpec], bool]) -> None:
    assert check(load_spec(write(tmp_path / "features", changed(change))))


# --- one bad field at a time ------------------------------------------------------------------

LONG_FEATURE_NAME = "a" + "_b" * 40  # matches the pattern, which counts only letters and digits, yet is 81 long

BAD = [
    # keys
    pytest.param(drop("owner"), "owner", "missing", "the owner's e-mail address", id="missing-key"),
    pytest.param(
        rename("online_store", "onlne_store"),
        "onlne_store",
        "unknown key (did you mean online_store?)",
        "one of name, description",
        id="misspelt-key",
    ),
    pytest.param(rename("ttl_days", True), "'true'", "unknown key", "one of name", id="yaml-boolean-key"),
    # name
    pytest.param(
        at("name", "churn lite"),
        "name",
        "'churn lite' is not a valid SageMaker name",
        "the file name without .yaml: 1 to 64",
        id="name",
    ),
    pytest.param(
        at("name", "customer-churn"),
        "name",
        "'customer-churn' differs from the file name churn-lite.yaml",
        "name: churn-lite, or the file renamed to customer-churn.yaml",
        id="name-not-file-stem",
    ),
    pytest.param(at("name", 42), "name", "'42' is an integer, not text", "the file name", id="name-not-text"),
    # description, owner, classification
    pytest.param(at("description", ""), "description", "'' is empty", "text of 1 to 128", id="empty-description"),
    pytest.param(
        at("description", "x" * 129),
        "description",
        "'" + "x" * 57 + "...' is 129 characters long",
        "text of 1 to 128",
        id="description-too-long",
    ),
    pytest.param(
        at("description", True), "description", "'true' is a boolean, not text", "text", id="description-boolean"
    ),
    pytest.param(
        at("owner", "alice"),
        "owner",
        "'alice' is not an e-mail address",
        "the owner's e-mail address such as alice@example.com",
        id="owner",
    ),
    pytest.param(
        at("classification", "secret"),
        "classification",
        "'secret' is not a known classification",
        "one of public, internal, sensitive",
        id="classification",
    ),
    # online store and time to live
    pytest.param(
        at("online_store", "yes"), "online_store", "'yes' is text, not a boolean", "true or false", id="online-text"
    ),
    pytest.param(
        at("ttl_days", "thirty"),
        "ttl_days",
        "'thirty' is text, not a whole number",
        "a whole number of days from 1 to 36500",
        id="ttl-text",
    ),
    pytest.param(
        at("ttl_days", -5),
        "ttl_days",
        "'-5' is out of range",
        "a whole number of days from 1 to 36500",
        id="ttl-negative",
    ),
    pytest.param(
        at("ttl_days", 0), "ttl_days", "'0' is out of range", "a whole number of days from 1 to 36500", id="ttl-zero"
    ),
    pytest.param(
        at("ttl_days", 36501),
        "ttl_days",
        "'36501' is out of range",
        "a whole number of days from 1 to 36500",
        id="ttl-too-long",
    ),
    pytest.param(
        at("ttl_days", 7.5),
        "ttl_days",
        "'7.5' is a number, not a whole number",
        "a whole number of days",
        id="ttl-float",
    ),
    pytest.param(
        at("ttl_days", True),
        "ttl_days",
        "'true' is a boolean, not a whole number",
        "a whole number of days",
        id="ttl-bool",
    ),
    pytest.param(
        at("online_store", False),
        "ttl_days",
        "'30' is set, but online_store is false",
        "ttl_days removed, or online_store: true",
        id="ttl-without-online-store",
    ),
    # the feature list
    pytest.param(
        at("features", "customer_id"), "features", "'customer_id' is text, not a list", "a list of", id="not-a-list"
    ),
    pytest.param(
        at("features", {"customer_id": "String"}),
        "features",
        """'{"customer_id": "String"}' is a mapping, not a list""",
        "a list of features",
        id="a-mapping",
    ),
    pytest.param(
        lambda d: d.update(features=d["features"][:2]),
        "features",
        """'["customer_id", "event_time"]' holds only the record identifier and the event time""",
        "at least one more feature",
        id="no-feature-besides-identifier-and-time",
    ),
    pytest.param(
        at("features.2", "tenure_months"),
        "features[2]",
        "'tenure_months' is text, not a mapping",
        "{name: ..., type: ..., description: ...}",
        id="feature-not-a-mapping",
    ),
    pytest.param(
        rename("features.2.type", "typ"),
        "features[2].typ",
        "unknown key (did you mean type?)",
        "one of name, type, description",
        id="feature-misspelt-key",
    ),
    pytest.param(
        drop("features.3.description"), "features[3].description", "missing", "text of 1 to 255", id="feature-missing"
    ),
    pytest.param(
        at("features.3.description", "   "), "features[3].description", "'   ' is empty", "text", id="feature-blank"
    ),
    pytest.param(
        at("features.3.description", "y" * 256),
        "features[3].description",
        "'" + "y" * 57 + "...' is 256 characters long",
        "text of 1 to 255",
        id="feature-description-too-long",
    ),
    # feature names
    pytest.param(
        at("features.2.name", "tenure months"),
        "features[2].name",
        "'tenure months' is not a valid SageMaker name",
        "1 to 64 letters, digits",
        id="feature-name",
    ),
    pytest.param(
        at("features.2.name", LONG_FEATURE_NAME),
        "features[2].name",
        repr(LONG_FEATURE_NAME[:57] + "...") + " is not a valid SageMaker name",
        "1 to 64 letters",
        id="feature-name-too-long",
    ),
    pytest.param(
        at("features.2.name", "write_time"),
        "features[2].name",
        "'write_time' is a column the offline store adds to every table",
        "a name other than write_time, api_invocation_time, is_deleted",
        id="reserved-name",
    ),
    pytest.param(
        at("features.3.name", "Is_Deleted"),
        "features[3].name",
        "'Is_Deleted' is a column the offline store adds",
        "a name other than",
        id="reserved-name-any-case",
    ),
    pytest.param(
        at("features.3.name", "Tenure_Months"),
        "features[3].name",
        "'Tenure_Months' repeats features[2] 'tenure_months', ignoring case as Glue does",
        "each feature name once",
        id="duplicate-feature-ignoring-case",
    ),
    # feature types
    pytest.param(
        at("features.2.type", "Integer"),
        "features[2].type",
        "'Integer' is not a known type",
        "one of Integral, Fractional, String",
        id="type",
    ),
    pytest.param(
        at("features.2.type", "string"),
        "features[2].type",
        "'string' is not a known type",
        "one of Integral",
        id="type-case",
    ),
    pytest.param(
        at("features.2.type", ["Integral"]), "features[2].type", """'["Integral"]' is not""", "one of", id="type-list"
    ),
    # record identifier and event time
    pytest.param(
        at("record_identifier", "customer"),
        "record_identifier",
        "'customer' is not one of the features (did you mean customer_id?)",
        "the name of a feature listed under features",
        id="identifier-not-a-feature",
    ),
    pytest.param(
        at("event_time", 5),
        "event_time",
        "'5' is an integer, not text",
        "the name of the feature that holds the event time",
        id="event-time-not-text",
    ),
    pytest.param(
        at("features.0.type", "Fractional"),
        "features[0].type",
        "'Fractional' is not a type SageMaker allows for the record identifier customer_id",
        "String or Integral",
        id="identifier-type",
    ),
    pytest.param(
        at("features.1.type", "Integral"),
        "features[1].type",
        "'Integral' is not a type SageMaker allows for the event time event_time",
        "String or Fractional",
        id="event-time-type",
    ),
    pytest.param(
        at("event_time", "customer_id"),
        "event_time",
        "'customer_id' is also the record identifier",
        "a feature of its own",
        id="event-time-is-identifier",
    ),
]


@pytest.mark.parametrize(("change", "field", "bad", "expected"), BAD)
def test_a_bad_field_names_file_field_value_and_form(
    tmp_path: Path, change: Change, field: str, bad: str, expected: str
) -> None:
    message = error_of(write(tmp_path / "features", changed(change)))
    assert message.startswith(f"{SHOWN}: {field}: {bad}"), message
    assert f"; expected {expected}" in message, message


def test_too_many_features_is_refused_before_each_is_read(tmp_path: Path) -> None:
    extra = [{"name": f"f{i}", "type": "Integral", "description": "x"} for i in range(catalog.MAX_FEATURES - 1)]
    message = error_of(write(tmp_path / "features", changed(lambda d: d["features"].extend(extra))))
    assert message.startswith(f"{SHOWN}: features: "), message
    assert "has 2503 features; expected at most 2500" in message


# --- whole files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("name: [churn-lite\n", [": line 2:", "expected valid YAML"], id="not-yaml"),
        pytest.param("name: a\n b: c\n", [": line 2:", "expected valid YAML"], id="bad-indent"),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            [
                ": line 2:",
                "expected a single document in the stream, but found another document",
                "expected valid YAML",
            ],
            id="two-docs",
        ),
        pytest.param(
            "ttl_days: 30\nname: x\nttl_days: 7\n",
            [": line 3: repeated key 'ttl_days'", "expected each key once"],
            id="repeated-key",
        ),
        pytest.param("", ["the file is empty", "expected a mapping with the keys name, description"], id="empty"),
        pytest.param("- a\n- b\n", ["""'["a", "b"]' is a list, not a mapping""", "expected a mapping"], id="list"),
        pytest.param("just text\n", ["'just text' is text, not a mapping", "expected a mapping"], id="scalar"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, fragments: list[str]) -> None:
    message = error_of(write(tmp_path / "features", text))
    assert message.startswith(f"{SHOWN}:"), message
    for fragment in fragments:
        assert fragment in message, message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "features" / "churn-lite.yaml"
    path.parent.mkdir()
    path.write_bytes(b"name: caf\xe9\n")
    assert error_of(path) == f"{SHOWN}: not UTF-8 text; expected a UTF-8 YAML file"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert error_of(tmp_path / "features" / "nope.yaml") == (
        "features/nope.yaml: not found; expected a feature group file there"
    )


# --- the catalog folder -------------------------------------------------------------------------


def test_an_empty_catalog_is_valid(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    assert load_catalog(tmp_path / "features") == ()


def test_a_missing_catalog_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "featurs"
    with pytest.raises(CatalogError) as caught:
        load_catalog(missing)
    assert str(caught.value) == f"{missing}: not a folder; expected the feature catalog folder, such as features"


def test_the_catalog_is_sorted_by_name_and_skips_what_is_not_a_group(tmp_path: Path) -> None:
    folder = tmp_path / "features"
    for name in ("zeta", "alpha", "mid"):
        write(folder, changed(at("name", name)), name=name)
    (folder / "README.md").write_text("# notes\n")
    (folder / "drafts").mkdir()
    write(folder / "drafts", "not: [valid\n", name="broken")
    assert [spec.name for spec in load_catalog(folder)] == ["alpha", "mid", "zeta"]


def test_a_bad_file_in_the_catalog_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "features"
    write(folder, BASE)
    write(folder, changed(lambda d: d.update(name="other", classification="top-secret")), name="other")
    with pytest.raises(CatalogError, match=r"^features/other.yaml: classification: 'top-secret' is not"):
        load_catalog(folder)


def test_a_yml_file_is_refused_rather_than_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "features"
    write(folder, BASE)
    (folder / "extra.yml").write_text(yaml.safe_dump(changed(at("name", "extra"))))
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert str(caught.value) == (
        "features/extra.yml: '.yml' is not the catalog's file extension; expected the file named extra.yaml"
    )


def test_two_files_may_not_define_the_same_group_name(tmp_path: Path) -> None:
    folder = tmp_path / "features"
    write(folder, BASE)
    if (folder / "Churn-Lite.yaml").exists():
        pytest.skip("case-insensitive file system: the two files cannot both exist")
    write(folder, changed(at("name", "Churn-Lite")), name="Churn-Lite")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert str(caught.value) == (
        "features/churn-lite.yaml: name: 'churn-lite' is also defined by features/Churn-Lite.yaml, ignoring case; "
        "expected each feature group name in one file only"
    )


# --- the module's boundary ----------------------------------------------------------------------


def test_the_module_imports_only_the_standard_library_and_yaml() -> None:
    """The Pulumi program and live operations code share it, so it may not pull in either's dependencies."""
    tree = ast.parse(Path(catalog.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            imported.add(node.module.split(".")[0])
    assert "yaml" in imported
    assert imported - {"yaml"} <= set(sys.stdlib_module_names)
