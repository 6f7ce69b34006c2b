"""Run policy packs the way the Pulumi engine does: one process per pack and stack, over gRPC.

The engine starts ``python -u -m pulumi.policy <engine-address> .`` in the pack's folder with the
stack's configuration in the environment (here: forked from a warm host that runs that module as the
command would, offline/pack_host.py), reads the port the pack prints, then calls
``GetAnalyzerInfo``, ``ConfigureStack``, ``Configure``, ``Analyze`` for each resource (its inputs)
and ``AnalyzeStack`` once (every resource's outputs, parents and dependencies).
"""

from __future__ import annotations

import json
import os
import selectors
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2

from offline import EngineError
from offline.mocks import ResourceRecord
from offline.pack_host import PackProcess, host
from offline.pulumi_internals import (
    analyzer_pb2,
    analyzer_pb2_grpc,
    analyzer_stub,
    enforcement_levels,
    policy_pack_environment,
    policy_pack_module,
)
from offline.synth import StackResult

#: How long a pack may take to start and print its port.
START_TIMEOUT_SECONDS = 30
#: Enforcement levels by name (as config files spell them) and by the protocol's value.
LEVEL_NAMES = enforcement_levels()
LEVELS = {value: name for name, value in LEVEL_NAMES.items()}


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
    process: PackProcess
    stub: analyzer_pb2_grpc.AnalyzerStub
    channel: grpc.Channel
    name: str


@dataclass(frozen=True)
class StackIdentity:
    """What a pack learns about the stack when it starts: from its environment and ConfigureStack."""

    project: str
    stack: str
    config: Mapping[str, str]


class PackSession:
    """Every policy pack, started once for one stack as the engine starts it (the stack's config in
    the environment), configured, and ready to analyze that stack, or variants of it, many times.

    The processes start when the session is made; the first analysis waits for them, so a caller
    can start the packs of a stack before synthesizing it. While the program runs, ``register`` asks
    the packs about each resource as it is registered, as the engine does during a preview, and the
    stack's ``analyze`` then reads those answers instead of asking again."""

    def __init__(
        self, folders: Sequence[Path], identity: StackIdentity, policy_config: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.identity = identity
        self._policy_config = policy_config
        env = {
            **os.environ,
            **policy_pack_environment(identity.project, identity.stack, identity.config, "organization"),
        }
        # The engine passes its own address; a pack only needs it for logging and never dials it.
        module = policy_pack_module("127.0.0.1:0")
        self._starting = [(folder, host().start(module, folder, env)) for folder in folders]
        self.packs: list[_RunningPack] = []
        #: The resources ``register`` was given and their calls (one per pack), by URN.
        self._registered: dict[str, list[grpc.Future]] = {}
        self._providers = _Providers(identity)

    @classmethod
    def for_result(
        cls, folders: Sequence[Path], result: StackResult, policy_config: Mapping[str, Mapping[str, Any]]
    ) -> PackSession:
        return cls(folders, StackIdentity(result.project, result.name, result.config), policy_config)

    def _ready(self) -> list[_RunningPack]:
        """The packs, connected and configured (waiting for them to start, the first time)."""
        try:
            while self._starting:
                # Still listed as starting until connected: a pack that fails to connect or to take
                # its configuration is stopped with the others, not left running.
                folder, process = self._starting[0]
                self.packs.append(self._connect(folder, process, self._policy_config.get(folder.name, {})))
                self._starting.pop(0)
        except BaseException:
            self.close()
            raise
        return self.packs

    def _connect(self, folder: Path, process: PackProcess, user_config: Mapping[str, Any]) -> _RunningPack:
        port = _read_port(folder, process)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = analyzer_stub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.identity.stack,
                project=self.identity.project,
                organization="organization",
                dry_run=True,
                config=dict(self.identity.config),
            )
        )
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_policy_config(folder, info, user_config)))
        return _RunningPack(folder, process, stub, channel, info.name)

    def register(self, record: ResourceRecord) -> None:
        """A resource of the stack being synthesized, just registered: sent to every pack now."""
        self._providers.add(record)
        self._registered[record.urn] = self._ask(self._providers.request(record))

    def analyze(self, result: StackResult, only: Collection[str] | None = None) -> list[Violation]:
        """Analyze each resource (or only those whose URN is in ``only``) and then the stack."""
        return self.ask(result, only).violations()

    def ask(self, result: StackResult, only: Collection[str] | None = None) -> Answers:
        """Send ``analyze``'s calls and return without waiting for the packs: each answers on its own
        server threads, all packs at once, while the caller goes on."""
        providers = _Providers.of(result)
        resources = self._ask_resources(result, only, providers)
        return Answers(result, self._ready(), resources, self._ask_stack(result, providers))

    def analyze_resources(self, result: StackResult, only: Collection[str] | None = None) -> list[Violation]:
        """``Analyze``, one call per resource and pack, as the engine calls it during a preview."""
        return Answers(result, self._ready(), self._ask_resources(result, only, _Providers.of(result)), []).violations()

    def analyze_stack(self, result: StackResult) -> list[Violation]:
        """``AnalyzeStack``, one call per pack with every resource, its outputs and its dependencies."""
        return Answers(result, self._ready(), [], self._ask_stack(result, _Providers.of(result))).violations()

    def _ask(self, request: analyzer_pb2.AnalyzeRequest) -> list[grpc.Future]:
        return [pack.stub.Analyze.future(request) for pack in self._ready()]

    def _ask_resources(
        self, result: StackResult, only: Collection[str] | None, providers: _Providers
    ) -> list[tuple[str, list[grpc.Future]]]:
        asked = []
        for record in result.resources:
            if only is None or record.urn in only:
                calls = self._registered.pop(record.urn, None) or self._ask(providers.request(record))
                asked.append((record.urn, calls))
        return asked

    def _ask_stack(self, result: StackResult, providers: _Providers) -> list[grpc.Future]:
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=_struct(r.outputs or r.inputs),
                    urn=r.urn,
                    name=r.name,
                    options=_options(r),
                    provider=providers.provider(r),
                    parent=r.parent,
                    dependencies=r.dependencies,
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in result.resources
            ]
        )
        return [pack.stub.AnalyzeStack.future(request) for pack in self._ready()]

    def close(self) -> None:
        for _, process in self._starting:
            process.kill()
            process.wait()
        self._starting = []
        for pack in self.packs:
            pack.channel.close()
            pack.process.kill()
            pack.process.wait()
            for stream in (pack.process.stdout, pack.process.stderr):
                if stream is not None:
                    stream.close()
        self.packs = []

    def __enter__(self) -> PackSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class Answers:
    """The calls of one analysis, sent; their answers are read, in the engine's order, on demand."""

    result: StackResult
    packs: list[_RunningPack]
    #: Each resource's URN and its ``Analyze`` calls, one per pack.
    resources: list[tuple[str, list[grpc.Future]]]
    #: The ``AnalyzeStack`` calls, one per pack (none when only resources were asked).
    stack: list[grpc.Future]

    def violations(self) -> list[Violation]:
        """Every pack's diagnostics on each resource, then on the stack, pack by pack."""
        found = [
            v
            for index, pack in enumerate(self.packs)
            for urn, calls in self.resources
            # The engine knows which resource it asked about; a diagnostic needs not repeat it.
            for v in _violations(pack, self._answer(pack, calls[index]), urn)
        ]
        for pack, call in zip(self.packs, self.stack, strict=False):
            found += _violations(pack, self._answer(pack, call), "")
        return found

    def _answer(self, pack: _RunningPack, call: grpc.Future) -> analyzer_pb2.AnalyzeResponse:
        try:
            response: analyzer_pb2.AnalyzeResponse = call.result()
        except grpc.RpcError as error:
            raise EngineError(
                f"policy pack {pack.name}: {error.details()}; expected it to analyze "
                f"stack {self.result.name} without crashing"
            ) from None
        return response


def _read_port(folder: Path, process: PackProcess) -> int:
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


def _policy_config(
    folder: Path, info: analyzer_pb2.AnalyzerInfo, user_config: Mapping[str, Any]
) -> dict[str, analyzer_pb2.PolicyConfig]:
    """What the engine sends to ``Configure``: each policy's level and its config, the schema's
    defaults overlaid with the user's file (``--policy-config``), as ``--policy-pack-config`` does."""
    policies = {policy.name: policy for policy in info.policies}
    where = f"--policy-config {folder.name}"
    for name in user_config:
        if name != "all" and name not in policies:
            raise EngineError(f"{where}: {name!r} is not a policy of the pack; expected one of {', '.join(policies)}")
    configured: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, policy in policies.items():
        schema = json_format.MessageToDict(policy.configSchema.properties)
        properties = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
        level = policy.enforcementLevel
        for entry in (user_config.get("all"), user_config.get(name)):
            if isinstance(entry, str):
                level = _level(where, name, entry)
            elif isinstance(entry, Mapping):
                for key, value in entry.items():
                    if key == "enforcementLevel":
                        level = _level(where, name, value)
                    elif key not in schema:
                        raise EngineError(
                            f"{where}: {name}.{key} is not a setting of the policy; "
                            f"expected one of {', '.join(schema) or 'none'}"
                        )
                    else:
                        properties[key] = value
        configured[name] = analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct(properties))
    return configured


def _level(where: str, name: str, value: Any) -> int:
    if value not in LEVEL_NAMES:
        raise EngineError(
            f"{where}: {name}: {value!r} is not an enforcement level; expected one of {', '.join(LEVEL_NAMES)}"
        )
    return LEVEL_NAMES[value]


def analyze(
    pack_folders: Sequence[Path], result: StackResult, policy_config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Violation]:
    """Run every pack over one synthesized stack."""
    with PackSession.for_result(pack_folders, result, policy_config or {}) as session:
        return session.analyze(result)


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


class _Providers:
    """The provider each resource of a stack is analyzed with: its explicit provider (a resource of the
    stack, registered before the resources that use it), or the package's default provider, configured
    from the stack's ``<package>:*`` keys. Builds each resource's ``Analyze`` request with it."""

    def __init__(self, identity: StackIdentity) -> None:
        self.identity = identity
        self.by_urn: dict[str, ResourceRecord] = {}
        self.defaults: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}

    @classmethod
    def of(cls, result: StackResult) -> _Providers:
        providers = cls(StackIdentity(result.project, result.name, result.config))
        for record in result.resources:
            providers.add(record)
        return providers

    def add(self, record: ResourceRecord) -> None:
        self.by_urn[record.urn] = record

    def request(self, record: ResourceRecord) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest(
            type=record.type,
            properties=_struct(record.inputs),
            urn=record.urn,
            name=record.name,
            options=_options(record),
            provider=self.provider(record),
        )

    def provider(self, record: ResourceRecord) -> analyzer_pb2.AnalyzerProviderResource | None:
        if not record.custom or record.type.startswith("pulumi:"):
            return None
        explicit = self.by_urn.get(record.provider.rsplit("::", 1)[0]) if record.provider else None
        if explicit is not None:
            return analyzer_pb2.AnalyzerProviderResource(
                type=explicit.type, name=explicit.name, urn=explicit.urn, properties=_struct(explicit.inputs)
            )
        package = record.type.split(":", 1)[0]
        if package not in self.defaults:
            self.defaults[package] = self._default(package)
        return self.defaults[package]

    def _default(self, package: str) -> analyzer_pb2.AnalyzerProviderResource:
        properties = {}
        for key, value in self.identity.config.items():
            namespace, _, name = key.partition(":")
            if namespace == package:
                try:
                    properties[name] = json.loads(value)
                except ValueError:
                    properties[name] = value
        name = f"default_{package}"
        identity = self.identity
        return analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{package}",
            name=name,
            properties=_struct(properties),
            urn=f"urn:pulumi:{identity.stack}::{identity.project}::pulumi:providers:{package}::{name}",
        )


def _options(record: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=record.protect, parent=record.parent)
