"""Every private or unstable Pulumi API the offline engine relies on, each behind one small name.

The engine plays the parts of the Pulumi CLI: the language host that runs the program (the mock
runtime, its resource monitor, the program's root stack), and the engine that starts policy packs
and speaks the analyzer protocol to them. Pulumi promises none of the pieces that takes:
``pulumi.runtime.settings.ROOT``, ``pulumi.runtime.stack.run_pulumi_func``,
``pulumi.runtime.sync_await._sync_await``, ``rpc.deserialize_properties`` and the secret signature,
``pulumi.runtime.mocks.MockMonitor`` and the fields of the resource monitor's requests, the root
stack's ``outputs``, ``Output.future``, the ``traceback`` that ``pulumi.runtime.resource`` takes each
resource's stack from, the generated protobuf modules under ``pulumi.runtime.proto``, and the hidden
policy-pack host ``python -m pulumi.policy``. They live here so that a Pulumi upgrade that moves
one is a change to this file only, and tests/test_pulumi_internals.py names the API that moved and
the Pulumi version that moved it (run it with ``--noconftest`` when this module no longer imports:
tests/conftest.py imports the engine).

The analyzer's protobuf modules are re-exported as they are rather than wrapped message by message:
offline/analyzer.py builds its requests from them, and the test checks every message and field it uses.

Public APIs (``pulumi.runtime.Mocks``, ``MockResourceArgs``, ``MockCallArgs``, ``Output.from_input``,
``get_root_resource``) are used where they are needed, not here.
"""

from __future__ import annotations

import json
import sys
import traceback
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import grpc
import pulumi
import pulumi.runtime


def package_version(package: str = "pulumi") -> str:
    """The installed version of a distribution (``pulumi`` has no ``__version__``), for messages
    that say which upgrade broke an internal."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


try:
    from pulumi.runtime import resource as resource_module
    from pulumi.runtime import rpc
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.proto import analyzer_pb2 as analyzer_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc as analyzer_pb2_grpc
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await
except ImportError as error:
    # Said once, here, rather than as a bare ImportError from wherever the engine is first imported.
    raise ImportError(
        f"offline/pulumi_internals.py: {error} (pulumi {package_version()}); a Pulumi upgrade moved a "
        "private API the offline engine uses: run pytest --noconftest tests/test_pulumi_internals.py "
        "to see which, and adapt offline/pulumi_internals.py"
    ) from error

__all__ = [
    "POLICY_PACK_MODULE",
    "STACK_TYPE",
    "HookedMockMonitor",
    "Registration",
    "analyzer_pb2",
    "analyzer_pb2_grpc",
    "analyzer_stub",
    "deserialize",
    "enforcement_levels",
    "install_mocks",
    "is_secret",
    "package_version",
    "policy_pack_command",
    "policy_pack_environment",
    "policy_pack_module",
    "release_program",
    "reset_root_stack",
    "resolve",
    "run_program",
    "set_program_config",
    "skip_source_lines",
    "stack_exports",
]

#: The type of the root stack resource, which the engine registers itself and no plan shows.
STACK_TYPE = "pulumi:pulumi:Stack"

#: The module the CLI runs to host a Python policy pack (``pulumi/policy/__main__.py``, undocumented).
POLICY_PACK_MODULE = "pulumi.policy"


# --- Running the program under the mock runtime -------------------------------------------------


def reset_root_stack() -> None:
    """Forget the previous program run's root stack, so that ``install_mocks`` makes a new one.

    ``set_mocks`` only makes a root stack when none is set, and the root lives in the private
    ``settings.ROOT`` context variable; several stacks synthesized in one process each need their own.
    """
    runtime_settings.ROOT.set(None)


def release_program() -> None:
    """Drop the runtime's hold on the last program run: its root stack, and the settings holding the
    monitor (with every resource it recorded), the engine and the outputs, so that what the run made
    can be freed before the next one."""
    reset_root_stack()
    pulumi.runtime.configure(pulumi.runtime.Settings(project=None, stack=None))


def set_program_config(config: Mapping[str, str]) -> None:
    """Replace the runtime's whole configuration, as the language host does before a run."""
    pulumi.runtime.set_all_config(dict(config))


def install_mocks(mocks: pulumi.runtime.Mocks, monitor: MockMonitor, *, project: str, stack: str) -> None:
    """Point the runtime at ``mocks`` through our own ``monitor`` (a ``MockMonitor``), as an update
    (not a preview) would run: the ``monitor`` keyword is what lets the engine record each request."""
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)


def _extract_stack(f: types.FrameType | None = None, limit: int | None = None) -> traceback.StackSummary:
    """``traceback.extract_stack`` without reading each frame's line of source: the same frames,
    names, files and line numbers, which are all the SDK makes a source position of."""
    stack = traceback.StackSummary.extract(
        traceback.walk_stack(f if f is not None else sys._getframe().f_back), limit=limit, lookup_lines=False
    )
    stack.reverse()
    return stack


_TRACEBACK = types.ModuleType("traceback", traceback.__doc__)
_TRACEBACK.__dict__.update({**vars(traceback), "extract_stack": _extract_stack})


def skip_source_lines() -> None:
    """The SDK sends the monitor each resource's source position and stack, which it takes from
    ``traceback.extract_stack()`` (``pulumi.runtime.resource._get_stack_trace``). That also reads,
    for every frame of every registration, the line of source, which nothing uses and which costs
    about a tenth of a registration. The positions sent stay the same."""
    setattr(resource_module, "traceback", _TRACEBACK)  # noqa: B010 - the SDK module does not export it


def run_program(program: Callable[[], None]) -> None:
    """Run ``program`` as the language host does: then wait for every outstanding resource RPC, so
    every registration has reached the monitor when this returns. The program's error is re-raised."""
    _sync_await(run_pulumi_func(program))


def resolve(value: Any) -> Any:
    """The plain value of an input or output, waited for (``None`` where it is unknown)."""
    return _sync_await(pulumi.Output.from_input(value).future())


def stack_exports() -> dict[str, Any]:
    """The program's ``pulumi.export`` values, resolved. The root stack keeps them in its private
    ``outputs`` attribute until the engine would register them."""
    root = runtime_settings.get_root_resource()
    raw: Mapping[str, Any] = getattr(root, "outputs", {})
    return {key: resolve(value) for key, value in raw.items()}


# --- The resource monitor --------------------------------------------------------------------------


def deserialize(properties: Any) -> Any:
    """A protobuf ``Struct`` of resource properties as Python values (secrets stay wrapped)."""
    return rpc.deserialize_properties(properties)


def is_secret(value: Mapping[Any, Any]) -> bool:
    """Whether a deserialized mapping is a wrapped secret (its plain value is under ``"value"``)."""
    return value.get(rpc._special_sig_key) == rpc._special_secret_sig


@dataclass(frozen=True)
class Registration:
    """What the engine learns of one resource from a RegisterResource or ReadResource request and
    the mock's answer, with the properties deserialized."""

    type: str
    name: str
    urn: str
    id: str
    custom: bool
    parent: str
    provider: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: Any
    #: The mock's outputs of a custom resource; ``{}`` for a component, whose outputs come later.
    outputs: Any


class HookedMockMonitor(MockMonitor):
    """Pulumi's mock resource monitor, calling a hook for what each gRPC request tells the engine.

    The method names are the resource monitor's gRPC methods and the request fields its protobuf
    messages' (``pulumi.runtime.proto.resource_pb2``); subclasses see only ``Registration``."""

    def on_register(self, registration: Registration) -> None:
        """A resource the program made (RegisterResource) or read (ReadResource)."""

    def on_outputs(self, urn: str, outputs: Any) -> None:
        """A component's ``register_outputs`` (RegisterResourceOutputs)."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != STACK_TYPE:
            self.on_register(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    id=response.id,
                    custom=request.custom,
                    parent=request.parent,
                    provider=request.provider,
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    dependencies=list(request.dependencies),
                    property_dependencies={
                        key: list(value.urns) for key, value in request.propertyDependencies.items()
                    },
                    inputs=deserialize(request.object),
                    outputs=deserialize(response.object) if request.custom else {},
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.on_outputs(request.urn, deserialize(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Reads (such as StackReference) carry their id up front, and no protect or retain flags."""
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self.on_register(
            Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                id=request.id,
                custom=True,
                parent=request.parent,
                provider=request.provider,
                protect=False,
                retain_on_delete=False,
                dependencies=list(request.dependencies),
                property_dependencies={},
                inputs=deserialize(request.properties),
                outputs=deserialize(response.properties),
            )
        )
        return response


# --- Policy packs and the analyzer protocol --------------------------------------------------------


def policy_pack_command(engine_address: str) -> list[str]:
    """The command the CLI starts a Python policy pack with, from the pack's folder: the pack prints
    the port of its analyzer server on its first line of output."""
    return [sys.executable, "-u", "-m", *policy_pack_module(engine_address)]


def policy_pack_module(engine_address: str) -> list[str]:
    """That command's module and arguments, what follows ``-m``."""
    return [POLICY_PACK_MODULE, engine_address, "."]


def policy_pack_environment(project: str, stack: str, config: Mapping[str, str], organization: str) -> dict[str, str]:
    """The variables through which the CLI tells a pack its stack, as a preview (dry run) does."""
    return {
        "PULUMI_CONFIG": json.dumps(dict(config)),
        "PULUMI_PROJECT": project,
        "PULUMI_STACK": stack,
        "PULUMI_ORGANIZATION": organization,
        "PULUMI_DRY_RUN": "true",
    }


def analyzer_stub(channel: grpc.Channel) -> analyzer_pb2_grpc.AnalyzerStub:
    """A client of a pack's analyzer server."""
    return analyzer_pb2_grpc.AnalyzerStub(channel)


def enforcement_levels() -> dict[str, int]:
    """Enforcement level names, as a policy config file spells them, to the protocol's values."""
    return {
        "advisory": analyzer_pb2.ADVISORY,
        "mandatory": analyzer_pb2.MANDATORY,
        "disabled": analyzer_pb2.DISABLED,
        "remediate": analyzer_pb2.REMEDIATE,
    }
