"""Run policy packs the way the Pulumi engine does: one process per pack and stack, over gRPC.

The engine starts ``python -u -m pulumi.policy <engine-address> .`` in the pack's folder with the
stack's configuration in the environment, reads the port the pack prints, then calls
``GetAnalyzerInfo``, ``ConfigureStack``, ``Configure``, ``Analyze`` for each resource (its inputs)
and ``AnalyzeStack`` once (every resource's outputs, parents and dependencies).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from offline import EngineError
from offline.mocks import ResourceRecord
from offline.synth import StackResult

#: How long a pack may take to start and print its port.
START_TIMEOUT_SECONDS = 30
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}


@dataclass(frozen=True)
class Violation:
    pack: str
    policy: str
    level: str
    urn: str
    message: str


def discover_packs(directory: Path) -> list[Path]:
    """Every folder under ``directory`` holding a PulumiPolicy.yaml is one pack."""
    if not directory.is_dir():
        raise EngineError(f"--policies: {str(directory)!r} is not a folder; expected a folder of policy packs")
    return sorted(path.parent for path in directory.glob("*/PulumiPolicy.yaml"))


@dataclass
class _RunningPack:
    folder: Path
    process: subprocess.Popen[str]
    stub: analyzer_pb2_grpc.AnalyzerStub
    name: str


@contextmanager
def _start(folder: Path, result: StackResult) -> Iterator[_RunningPack]:
    env = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps(result.config),
        "PULUMI_PROJECT": result.project,
        "PULUMI_STACK": result.name,
        "PULUMI_ORGANIZATION": "organization",
        "PULUMI_DRY_RUN": "true",
    }
    # The engine passes its own address; a pack only needs it for logging and never dials it here.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    channel = None
    try:
        port = _read_port(folder, process)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=result.name,
                project=result.project,
                organization="organization",
                dry_run=True,
                config=result.config,
            )
        )
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))
        yield _RunningPack(folder, process, stub, info.name)
    finally:
        if channel is not None:
            channel.close()
        process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _read_port(folder: Path, process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None and process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=START_TIMEOUT_SECONDS)
    line = process.stdout.readline().strip() if ready else ""
    if not line.isdigit():
        process.kill()
        error = process.stderr.read().strip().splitlines()
        reason = error[-1] if error else f"no port within {START_TIMEOUT_SECONDS} s"
        raise EngineError(f"policy pack {folder.name}: did not start ({reason}); expected it to print its port")
    return int(line)


def analyze(pack_folders: Sequence[Path], result: StackResult) -> list[Violation]:
    """Run every pack over one synthesized stack; the packs start together, then answer in turn."""
    with ExitStack() as stack:
        packs = [stack.enter_context(_start(folder, result)) for folder in pack_folders]
        violations: list[Violation] = []
        requests = _requests(result)
        stack_request = analyzer_pb2.AnalyzeStackRequest(resources=_stack_resources(result))
        for pack in packs:
            try:
                for request in requests:
                    # The engine knows which resource it asked about; a diagnostic needs not repeat it.
                    violations.extend(_violations(pack, pack.stub.Analyze(request), default_urn=request.urn))
                violations.extend(_violations(pack, pack.stub.AnalyzeStack(stack_request), default_urn=""))
            except grpc.RpcError as error:
                raise EngineError(
                    f"policy pack {pack.name}: {error.details()}; expected it to analyze "
                    f"stack {result.name} without crashing"
                ) from None
        return violations


def _violations(pack: _RunningPack, response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> Iterator[Violation]:
    for diagnostic in response.diagnostics:
        yield Violation(
            pack=diagnostic.policyPackName or pack.name,
            policy=diagnostic.policyName,
            level=LEVELS.get(diagnostic.enforcementLevel, "advisory"),
            urn=diagnostic.urn or default_urn,
            message=diagnostic.message,
        )


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(json.loads(json.dumps(values, default=str)), struct_pb2.Struct())


def _default_provider(result: StackResult, package: str) -> analyzer_pb2.AnalyzerProviderResource:
    """The provider a resource without an explicit one uses, configured from the stack's ``<package>:*`` keys."""
    properties = {}
    for key, value in result.config.items():
        namespace, _, name = key.partition(":")
        if namespace == package:
            try:
                properties[name] = json.loads(value)
            except ValueError:
                properties[name] = value
    name = f"default_{package}"
    return analyzer_pb2.AnalyzerProviderResource(
        type=f"pulumi:providers:{package}",
        name=name,
        properties=_struct(properties),
        urn=f"urn:pulumi:{result.name}::{result.project}::pulumi:providers:{package}::{name}",
    )


def _provider(
    result: StackResult, record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not record.custom or record.type.startswith("pulumi:"):
        return None
    explicit = by_urn.get(record.provider.rsplit("::", 1)[0]) if record.provider else None
    if explicit is not None:
        return analyzer_pb2.AnalyzerProviderResource(
            type=explicit.type, name=explicit.name, urn=explicit.urn, properties=_struct(explicit.inputs)
        )
    return _default_provider(result, record.type.split(":", 1)[0])


def _options(record: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=record.protect, parent=record.parent)


def _requests(result: StackResult) -> list[analyzer_pb2.AnalyzeRequest]:
    by_urn = {record.urn: record for record in result.resources}
    return [
        analyzer_pb2.AnalyzeRequest(
            type=r.type,
            properties=_struct(r.inputs),
            urn=r.urn,
            name=r.name,
            options=_options(r),
            provider=_provider(result, r, by_urn),
        )
        for r in result.resources
    ]


def _stack_resources(result: StackResult) -> list[analyzer_pb2.AnalyzerResource]:
    by_urn = {record.urn: record for record in result.resources}
    return [
        analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=_struct(r.outputs or r.inputs),
            urn=r.urn,
            name=r.name,
            options=_options(r),
            provider=_provider(result, r, by_urn),
            parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={
                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                for key, urns in r.property_dependencies.items()
            },
        )
        for r in result.resources
    ]
