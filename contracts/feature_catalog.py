"""The feature catalog: one YAML file per SageMaker Feature Store feature group, read into frozen specs.

The Pulumi program builds the feature groups from these specs, and live operations code lists and
checks them, so this module imports only the standard library and PyYAML: no Pulumi, no AWS SDK.
Every rule SageMaker, Glue or the platform would otherwise enforce late (at deploy time, or when a
job first writes) is checked here, and a bad file stops with one line naming the file, the field,
the bad value and the expected form.
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, cast, get_args

import yaml
from yaml.nodes import MappingNode

FeatureType = Literal["Integral", "Fractional", "String"]
Classification = Literal["public", "internal", "sensitive"]

#: The value types SageMaker Feature Store accepts for a feature.
FEATURE_TYPES: tuple[FeatureType, ...] = get_args(FeatureType)
#: SageMaker accepts only these types for the feature that identifies a record.
RECORD_IDENTIFIER_TYPES: tuple[FeatureType, ...] = ("String", "Integral")
#: SageMaker accepts only these types for the event time: ISO-8601 text or Unix seconds.
EVENT_TIME_TYPES: tuple[FeatureType, ...] = ("String", "Fractional")
#: Data classifications; each becomes the Lake Formation tag of the group's offline store table.
CLASSIFICATIONS: tuple[Classification, ...] = get_args(Classification)
#: Columns the offline store adds to every table, so no feature may take their names.
RESERVED_FEATURE_NAMES = ("write_time", "api_invocation_time", "is_deleted")
#: SageMaker's limit on feature definitions per feature group.
MAX_FEATURES = 2500
#: SageMaker's limit on a feature group name and a feature name (the patterns alone allow longer).
MAX_NAME_LENGTH = 64
#: SageMaker's limit on a feature group description.
MAX_GROUP_DESCRIPTION = 128
#: SageMaker's limit on a feature's description in its metadata (a Glue column comment has the same).
MAX_FEATURE_DESCRIPTION = 255
#: The online store's time to live, in days, that the catalog accepts.
TTL_DAYS_RANGE = (1, 36500)
#: The extension of a catalog file; files ending in .yml are refused rather than silently skipped.
SUFFIX = ".yaml"

#: Keys of a feature group file, in the order the README documents them.
REQUIRED_KEYS = (
    "name",
    "description",
    "owner",
    "record_identifier",
    "event_time",
    "online_store",
    "classification",
    "features",
)
OPTIONAL_KEYS = ("ttl_days", "team")
KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
#: Keys of one feature, all required.
FEATURE_KEYS = ("name", "type", "description")

_GROUP_NAME = re.compile(r"[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}")
_FEATURE_NAME = re.compile(r"[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")

_NAME_FORM = f"1 to {MAX_NAME_LENGTH} letters, digits, '-' or '_', starting and ending with a letter or digit"
_EXPECTED = {
    "name": f"the file name without {SUFFIX}: {_NAME_FORM}",
    "description": f"text of 1 to {MAX_GROUP_DESCRIPTION} characters saying what the group holds",
    "owner": "the owner's e-mail address such as alice@example.com",
    "record_identifier": "the name of the feature that identifies a record, such as customer_id",
    "event_time": "the name of the feature that holds the event time, such as event_time",
    "online_store": "true or false",
    "classification": f"one of {', '.join(CLASSIFICATIONS)}",
    "features": "a list of features, each {name: ..., type: ..., description: ...}",
    "ttl_days": f"a whole number of days from {TTL_DAYS_RANGE[0]} to {TTL_DAYS_RANGE[1]}",
    "team": "the owning data science team's name, such as analytics (default: the first team)",
}
_EXPECTED_FEATURE = {
    "name": _NAME_FORM,
    "type": f"one of {', '.join(FEATURE_TYPES)}",
    "description": f"text of 1 to {MAX_FEATURE_DESCRIPTION} characters saying what the feature means",
}


class CatalogError(ValueError):
    """A bad catalog file, with a one-line message: the file, the field, the bad value and the expected form."""


@dataclass(frozen=True)
class Feature:
    name: str
    type: FeatureType
    description: str


@dataclass(frozen=True)
class FeatureGroupSpec:
    """One feature group as its catalog file declares it; valid by construction when loaded."""

    name: str
    description: str
    #: E-mail of the person who answers for the group's data.
    owner: str
    record_identifier: str
    event_time: str
    #: Every feature in file order, the record identifier and event time among them.
    features: tuple[Feature, ...]
    online_store: bool
    #: Days after its event time that a record is deleted from the online store; None keeps records.
    ttl_days: int | None
    classification: Classification
    #: The file the spec was read from.
    source: Path
    #: The data science team that owns the group (its experimentation Feature Store holds it); None
    #: for the first team. Every team discovers and reads every group's production features.
    team: str | None = None


def load_catalog(folder: Path) -> tuple[FeatureGroupSpec, ...]:
    """Every feature group file (``*.yaml``) in a folder, sorted by group name.

    An empty folder is a valid, empty catalog; a missing one is an error, because a misspelt folder
    would otherwise deploy no feature groups without a word.
    """
    if not folder.is_dir():
        raise CatalogError(f"{folder}: not a folder; expected the feature catalog folder, such as features")
    specs: dict[str, FeatureGroupSpec] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".yaml", ".yml"):
            continue
        if path.suffix != SUFFIX:
            raise CatalogError(
                f"{_shown(path)}: {path.suffix!r} is not the catalog's file extension; "
                f"expected the file named {path.stem}{SUFFIX}"
            )
        spec = load_spec(path)
        # Names that differ only in case cannot both live in a checkout on a case-insensitive file
        # system, and collide in the Glue catalog, which lowercases table names.
        other = specs.get(spec.name.lower())
        if other is not None:
            raise CatalogError(
                f"{_shown(path)}: name: {spec.name!r} is also defined by {_shown(other.source)}, ignoring case; "
                "expected each feature group name in one file only"
            )
        specs[spec.name.lower()] = spec
    return tuple(sorted(specs.values(), key=lambda spec: spec.name))


def load_spec(path: Path) -> FeatureGroupSpec:
    """One feature group file, validated; errors name it as ``<folder>/<file>`` from any working directory."""
    return _Spec(path).parse()


def _shown(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    return f"{absolute.parent.name}/{absolute.name}"


def _show(value: object) -> str:
    """A value as the house style quotes it: text as is, anything else as JSON, shortened to one short line."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


def _kind(value: object) -> str:
    """What YAML made of a value, in the words of someone who wrote the file."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__}"


def _did_you_mean(word: object, choices: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class _RepeatedKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _StrictLoader(yaml.SafeLoader):
    """Safe loading that refuses a repeated key, which PyYAML would silently resolve to the last value."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if repeated:
                raise _RepeatedKeyError(None, None, f"repeated key {_show(key)}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _Spec:
    """Reads one feature group file and turns every problem into a one-line CatalogError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = _shown(path)

    def fail(self, field: str, value: object, problem: str, expected: str) -> NoReturn:
        raise CatalogError(f"{self.shown}: {field}: {_show(value)} {problem}; expected {expected}")

    def read(self) -> object:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogError(f"{self.shown}: not found; expected a feature group file there") from None
        except UnicodeDecodeError:
            raise CatalogError(f"{self.shown}: not UTF-8 text; expected a UTF-8 YAML file") from None
        except OSError as error:
            raise CatalogError(f"{self.shown}: cannot be read ({error.strerror}); expected a readable file") from None
        try:
            return yaml.load(text, Loader=_StrictLoader)  # safe: a SafeLoader subclass
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" line {mark.line + 1}:" if mark is not None else ""
            parts = (getattr(error, "context", None), getattr(error, "problem", None) or "invalid YAML")
            problem = " ".join(", ".join(str(part) for part in parts if part).split())
            expected = "each key once" if isinstance(error, _RepeatedKeyError) else "valid YAML"
            raise CatalogError(f"{self.shown}:{where} {problem}; expected {expected}") from None

    def parse(self) -> FeatureGroupSpec:
        data = self.read()
        if not isinstance(data, dict):
            problem = "the file is empty" if data is None else f"{_show(data)} is {_kind(data)}, not a mapping"
            raise CatalogError(f"{self.shown}: {problem}; expected a mapping with the keys {', '.join(KEYS)}")
        self.check_keys(data, "", KEYS, REQUIRED_KEYS, _EXPECTED)

        name = self.text(data, "name", _EXPECTED["name"])
        self.check_name("name", name, _GROUP_NAME, _EXPECTED["name"])
        if name != self.path.stem:
            self.fail(
                "name",
                name,
                f"differs from the file name {self.path.name}",
                f"name: {self.path.stem}, or the file renamed to {name}{SUFFIX}, so the group is found by its file",
            )
        description = self.text(data, "description", _EXPECTED["description"], MAX_GROUP_DESCRIPTION)
        owner = self.text(data, "owner", _EXPECTED["owner"])
        if not _EMAIL.fullmatch(owner):
            self.fail("owner", owner, "is not an e-mail address", _EXPECTED["owner"])
        classification = self.choice(data, "classification", CLASSIFICATIONS)
        online_store = data["online_store"]
        if not isinstance(online_store, bool):
            self.fail("online_store", online_store, f"is {_kind(online_store)}, not a boolean", "true or false")
        ttl_days = self.ttl_days(data.get("ttl_days"), online_store)
        team = self.text(data, "team", _EXPECTED["team"]) if "team" in data else None
        features = self.features(data["features"])
        record_identifier = self.role(data, "record_identifier", features, RECORD_IDENTIFIER_TYPES)
        event_time = self.role(data, "event_time", features, EVENT_TIME_TYPES)
        if event_time == record_identifier:
            self.fail(
                "event_time",
                event_time,
                "is also the record identifier",
                "a feature of its own that holds the event time",
            )
        if len(features) < 3:
            self.fail(
                "features",
                [feature.name for feature in features],
                "holds only the record identifier and the event time",
                "at least one more feature",
            )
        return FeatureGroupSpec(
            name=name,
            description=description,
            owner=owner,
            record_identifier=record_identifier,
            event_time=event_time,
            features=features,
            online_store=online_store,
            ttl_days=ttl_days,
            classification=cast(Classification, classification),
            source=self.path,
            team=team,
        )

    def check_keys(
        self,
        data: dict[Any, Any],
        prefix: str,
        keys: tuple[str, ...],
        required: tuple[str, ...],
        expected: dict[str, str],
    ) -> None:
        """Unknown keys first, so a misspelt key is named as such rather than as the key it misses."""
        for key in data:
            if key not in keys:
                field = key if isinstance(key, str) else _show(key)
                raise CatalogError(
                    f"{self.shown}: {prefix}{field}: unknown key{_did_you_mean(key, keys)}; "
                    f"expected one of {', '.join(keys)}"
                )
        for key in required:
            if key not in data:
                raise CatalogError(f"{self.shown}: {prefix}{key}: missing; expected {expected[key]}")

    def text(self, data: dict[Any, Any], key: str, expected: str, maximum: int | None = None, field: str = "") -> str:
        field = field or key
        value = data[key]
        if not isinstance(value, str):
            self.fail(field, value, f"is {_kind(value)}, not text", expected)
        if not value.strip():
            self.fail(field, value, "is empty", expected)
        if maximum is not None and len(value.strip()) > maximum:
            self.fail(field, value, f"is {len(value.strip())} characters long", expected)
        return value.strip()

    def check_name(self, field: str, name: str, pattern: re.Pattern[str], expected: str) -> None:
        if len(name) > MAX_NAME_LENGTH or not pattern.fullmatch(name):
            self.fail(field, name, "is not a valid SageMaker name", expected)

    def choice(self, data: dict[Any, Any], key: str, choices: tuple[str, ...], field: str = "") -> str:
        field = field or key
        value = data[key]
        if value not in choices:
            kind = "" if isinstance(value, str) else f" ({_kind(value)})"
            self.fail(field, value, f"is not a known {key}{kind}", f"one of {', '.join(choices)}")
        return cast(str, value)

    def ttl_days(self, value: object, online_store: bool) -> int | None:
        if value is None:
            return None
        expected = _EXPECTED["ttl_days"]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("ttl_days", value, f"is {_kind(value)}, not a whole number", expected)
        low, high = TTL_DAYS_RANGE
        if not low <= value <= high:
            self.fail("ttl_days", value, "is out of range", expected)
        if not online_store:
            self.fail(
                "ttl_days",
                value,
                "is set, but online_store is false and the time to live applies only to the online store",
                "ttl_days removed, or online_store: true",
            )
        return value

    def features(self, value: object) -> tuple[Feature, ...]:
        if not isinstance(value, list):
            self.fail("features", value, f"is {_kind(value)}, not a list", _EXPECTED["features"])
        if len(value) > MAX_FEATURES:
            self.fail("features", value, f"has {len(value)} features", f"at most {MAX_FEATURES}, SageMaker's limit")
        features: list[Feature] = []
        # Glue lowercases column names, so names that differ only in case would be one column.
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            where = f"features[{index}]"
            if not isinstance(item, dict):
                self.fail(where, item, f"is {_kind(item)}, not a mapping", "{name: ..., type: ..., description: ...}")
            self.check_keys(item, f"{where}.", FEATURE_KEYS, FEATURE_KEYS, _EXPECTED_FEATURE)
            name = self.text(item, "name", _EXPECTED_FEATURE["name"], field=f"{where}.name")
            self.check_name(f"{where}.name", name, _FEATURE_NAME, _EXPECTED_FEATURE["name"])
            if name.lower() in RESERVED_FEATURE_NAMES:
                self.fail(
                    f"{where}.name",
                    name,
                    "is a column the offline store adds to every table",
                    f"a name other than {', '.join(RESERVED_FEATURE_NAMES)}",
                )
            if name.lower() in seen:
                first = seen[name.lower()]
                self.fail(
                    f"{where}.name",
                    name,
                    f"repeats features[{first}] {features[first].name!r}, ignoring case as Glue does",
                    "each feature name once",
                )
            seen[name.lower()] = index
            feature_type = self.choice(item, "type", FEATURE_TYPES, field=f"{where}.type")
            description = self.text(
                item, "description", _EXPECTED_FEATURE["description"], MAX_FEATURE_DESCRIPTION, f"{where}.description"
            )
            features.append(Feature(name=name, type=cast(FeatureType, feature_type), description=description))
        return tuple(features)

    def role(
        self, data: dict[Any, Any], key: str, features: tuple[Feature, ...], types: tuple[FeatureType, ...]
    ) -> str:
        """The feature a record identifier or event time names, which must exist and have a type SageMaker allows."""
        name = self.text(data, key, _EXPECTED[key])
        names = [feature.name for feature in features]
        if name not in names:
            self.fail(
                key,
                name,
                f"is not one of the features{_did_you_mean(name, names)}",
                "the name of a feature listed under features",
            )
        index = names.index(name)
        if features[index].type not in types:
            self.fail(
                f"features[{index}].type",
                features[index].type,
                f"is not a type SageMaker allows for the {key.replace('_', ' ')} {name}",
                " or ".join(types),
            )
        return name


def owned_by(
    catalog: Sequence[FeatureGroupSpec], teams: Sequence[str], team: str | None
) -> tuple[FeatureGroupSpec, ...]:
    """The groups ``team`` owns (``teams`` in order: groups without a team belong to the first; no
    team: every group), or a CatalogError naming a group whose team is not one of ``teams``."""
    for spec in catalog:
        if spec.team is not None and spec.team not in teams:
            raise CatalogError(
                f"{_shown(spec.source)}: team: {spec.team!r} is not a team of dataScienceTeams; "
                f"expected one of {', '.join(teams)}"
            )
    return tuple(spec for spec in catalog if team is None or (spec.team or teams[0]) == team)
