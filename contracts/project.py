"""Read a Pulumi project and resolve a stack's configuration the way the Pulumi CLI does.

The CLI merges the project's typed defaults (Pulumi.yaml ``config``) with the stack file, checks
each declared key's type, and hands the program every value as a string: objects and arrays as
JSON, numbers and booleans in their text form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts import InputError

#: Deploy order of the platform's stacks: later stacks read earlier ones. Other stacks follow, by name.
PREFERRED_ORDER = ("tooling", "datamgmt", "datasci")


class ProjectError(InputError):
    """A project or stack file that cannot be read as the Pulumi CLI would."""


_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "boolean": (bool,), "array": (list,)}


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    main: Path
    #: Declared project keys (without namespace) to their declaration.
    schema: dict[str, dict[str, Any]]
    #: Values for other namespaces set in Pulumi.yaml (``aws:region: ...``).
    values: dict[str, Any]
    #: Stack names with a Pulumi.<stack>.yaml, in deploy order.
    stacks: tuple[str, ...]

    def stack_file(self, stack: str) -> Path:
        return self.directory / f"Pulumi.{stack}.yaml"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ProjectError(f"{path}: not found; expected a Pulumi project file there") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ProjectError(f"{path.name}:{where}: {problem}; expected valid YAML") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path.name}: {type(data).__name__} at the top level; expected a mapping")
    return data


def load_project(directory: Path) -> Project:
    directory = directory.resolve()
    data = _read_yaml(directory / "Pulumi.yaml")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{directory / 'Pulumi.yaml'}: name: {name!r} is missing; expected a project name")
    schema: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] = {}
    for key, declaration in (data.get("config") or {}).items():
        if ":" in key and not key.startswith(f"{name}:"):
            values[key] = (
                declaration["value"] if isinstance(declaration, dict) and "value" in declaration else declaration
            )
        elif isinstance(declaration, dict) and "type" in declaration:
            schema[key.split(":", 1)[-1]] = declaration
        else:
            schema[key.split(":", 1)[-1]] = {"default": declaration}
    main_setting = str(data.get("main") or "")
    main = directory / main_setting if main_setting.endswith(".py") else directory / main_setting / "__main__.py"
    found = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in directory.glob("Pulumi.*.yaml"))
    ordered = [stack for stack in PREFERRED_ORDER if stack in found] + [s for s in found if s not in PREFERRED_ORDER]
    return Project(name=name, directory=directory, main=main, schema=schema, values=values, stacks=tuple(ordered))


def stack_config(project: Project, stack: str) -> dict[str, str]:
    """The configuration map the program sees for ``stack``: ``namespace:key`` to string."""
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks) or "none"
        raise ProjectError(f"--stack: {stack!r} has no {path.name}; expected one of {known}")
    raw = _read_yaml(path).get("config") or {}
    if not isinstance(raw, dict):
        raise ProjectError(f"{path.name}: config is a {type(raw).__name__}; expected a mapping of keys to values")

    merged: dict[str, Any] = dict(project.values)
    for name, declaration in project.schema.items():
        if "default" in declaration:
            merged[f"{project.name}:{name}"] = declaration["default"]
    for key, value in raw.items():
        full = key if ":" in key else f"{project.name}:{key}"
        if isinstance(value, dict) and "secure" in value:
            raise ProjectError(
                f"{path.name}: {full} is an encrypted secret; the offline engine cannot decrypt it, "
                "expected a plain value in stacks previewed offline"
            )
        merged[full] = value

    for name, declaration in project.schema.items():
        full = f"{project.name}:{name}"
        expected = declaration.get("type")
        if full in merged and expected in _TYPES:
            value = merged[full]
            # bool is an int in Python; YAML's true must not pass as an integer.
            if not isinstance(value, _TYPES[expected]) or (expected == "integer" and isinstance(value, bool)):
                raise ProjectError(
                    f"{path.name}: {full}: {value!r} is a {_yaml_type(value)}; "
                    f"expected a {expected} (Pulumi.yaml declares it so)"
                )
    return {key: _as_config_string(value) for key, value in merged.items()}


def _yaml_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
