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
from contracts.naming import ACCOUNT_ROLES

#: The project key naming a stack's account role, which decides its place in the deploy order.
ROLE_KEY = "accountRole"
#: libyaml's loader where PyYAML has it (the same documents, several times faster).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    #: Stack names with a Pulumi.<stack>.yaml, in deploy order: by account role as
    #: contracts/naming.ACCOUNT_ROLES orders them (tooling, datamgmt, datasci, preprod), other roles
    #: after them, and by name within a role.
    stacks: tuple[str, ...]
    #: Each stack's account role, as its file declares it (or the default, or its name).
    roles: dict[str, str]

    def stack_file(self, stack: str) -> Path:
        return self.directory / f"Pulumi.{stack}.yaml"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(), Loader=_LOADER) or {}  # safe: a safe loader
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
    default_role = schema.get(ROLE_KEY, {}).get("default")
    roles = {
        path.name[len("Pulumi.") : -len(".yaml")]: _declared_role(path, name, default_role)
        for path in directory.glob("Pulumi.*.yaml")
    }
    rank: dict[str, int] = {role: index for index, role in enumerate(ACCOUNT_ROLES)}
    ordered = sorted(roles, key=lambda stack: (rank.get(roles[stack], len(rank)), roles[stack], stack))
    return Project(
        name=name, directory=directory, main=main, schema=schema, values=values, stacks=tuple(ordered), roles=roles
    )


def _declared_role(path: Path, project: str, default: Any) -> str:
    """The account role a stack file sets (``accountRole``), else the Pulumi.yaml default, else the
    stack's own name (a project without roles, such as the engine's fixtures, names stacks by role).

    Only the order depends on it: a file that cannot be read here is read again, and refused with
    the reason, when its stack's configuration is (``stack_config``)."""
    fallback = default if isinstance(default, str) and default else path.name[len("Pulumi.") : -len(".yaml")]
    try:
        text = path.read_text()
        # A file that never mentions the key needs no parsing.
        data = yaml.load(text, Loader=_LOADER) if ROLE_KEY in text else None
    except (OSError, yaml.YAMLError):
        return fallback
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        return fallback
    role = config.get(f"{project}:{ROLE_KEY}", config.get(ROLE_KEY))
    return role if isinstance(role, str) and role else fallback


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
