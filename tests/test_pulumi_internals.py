"""The private Pulumi APIs that offline/pulumi_internals.py wraps: each still exists, with the shape
the engine uses. A Pulumi upgrade that moves one fails here, with a message naming the API and the
installed version, rather than somewhere deep in a synthesis or a policy pack's start.

When an upgrade breaks the module's own imports, tests/conftest.py (which imports the engine) fails
first, with the module's message; ``pytest --noconftest tests/test_pulumi_internals.py`` then runs
every check here and names each API that moved."""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import importlib.util
import inspect
import os
import selectors
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2, struct_pb2

if TYPE_CHECKING:
    from offline.pulumi_internals import Registration

# offline/pulumi_internals.py is imported inside the tests, not here: if an upgrade moved what it
# imports, the checks below still run and each names what moved.
PULUMI_VERSION = metadata.version("pulumi")
VERSIONS = f"pulumi {PULUMI_VERSION}, pulumi-policy {metadata.version('pulumi-policy')}"


def broken(api: str, problem: str) -> str:
    """The one message every check fails with: the API, what changed, the versions, and the fix."""
    return (
        f"{api}: {problem} ({VERSIONS}); offline/pulumi_internals.py relies on it, "
        "so adapt its wrapper to the new API (or pin the Pulumi version it was written for)"
    )


class MissingError(Exception):
    """A dotted name that no longer resolves."""


def resolve(dotted: str) -> Any:
    """The object a dotted name names: the longest importable module, then attributes. Imported
    here, not at the top, so that a vanished module fails its own check rather than the whole file."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                raise MissingError(f"{'.'.join(parts[:cut])} has no {attribute!r}")
            found = getattr(found, attribute)
        return found
    raise MissingError(f"no module of {dotted!r} imports")


def parameters(function: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(function).parameters.values())


def required(function: Any) -> list[str]:
    return [p.name for p in parameters(function) if p.default is inspect.Parameter.empty and p.kind <= p.KEYWORD_ONLY]


def check_root() -> str | None:
    root = resolve("pulumi.runtime.settings.ROOT")
    return None if isinstance(root, contextvars.ContextVar) else f"is a {type(root).__name__}, not a ContextVar"


def check_set_all_config() -> str | None:
    names = [p.name for p in parameters(resolve("pulumi.runtime.set_all_config"))]
    return None if names[:1] == ["config"] else f"takes {names}; expected the config map first"


def check_set_mocks() -> str | None:
    names = {p.name for p in parameters(resolve("pulumi.runtime.set_mocks"))}
    lacking = {"mocks", "project", "stack", "preview", "monitor"} - names
    return f"takes no {sorted(lacking)}" if lacking else None


def check_run_pulumi_func() -> str | None:
    function = resolve("pulumi.runtime.stack.run_pulumi_func")
    if not inspect.iscoroutinefunction(function):
        return "is no longer a coroutine function"
    return None if len(required(function)) == 1 else f"requires {required(function)}; expected the program alone"


def check_sync_await() -> str | None:
    function = resolve("pulumi.runtime.sync_await._sync_await")
    return None if len(required(function)) == 1 else f"requires {required(function)}; expected one awaitable"


def check_output_future() -> str | None:
    future = resolve("pulumi.Output.future")
    if not inspect.iscoroutinefunction(future):
        return "is no longer a coroutine function"
    return None if required(future) == ["self"] else f"requires {required(future)}; expected no argument"


def check_stack_outputs() -> str | None:
    stack = resolve("pulumi.runtime.stack.Stack")
    if not callable(resolve("pulumi.runtime.settings.get_root_resource")):
        return "get_root_resource is not callable"
    annotations = inspect.get_annotations(stack)
    return None if "outputs" in annotations else "the root Stack declares no 'outputs' attribute"


def check_deserialize_properties() -> str | None:
    names = [p.name for p in parameters(resolve("pulumi.runtime.rpc.deserialize_properties"))]
    return None if names[:1] == ["props_struct"] else f"takes {names}; expected a Struct first"


def check_secret_signature() -> str | None:
    values = [resolve(f"pulumi.runtime.rpc.{name}") for name in ("_special_sig_key", "_special_secret_sig")]
    return None if all(isinstance(v, str) and v for v in values) else f"are {values!r}; expected two strings"


def check_mock_monitor() -> str | None:
    monitor = resolve("pulumi.runtime.mocks.MockMonitor")
    missing = [m for m in ("RegisterResource", "RegisterResourceOutputs", "ReadResource") if not hasattr(monitor, m)]
    if missing:
        return f"has no {missing}"
    return None if required(monitor.__init__) == ["self", "mocks"] else f"is made with {required(monitor.__init__)}"


def check_policy_host() -> str | None:
    return None if importlib.util.find_spec("pulumi.policy.__main__") is not None else "pulumi.policy.__main__ is gone"


#: What the engine reads of the resource monitor's requests (offline/pulumi_internals.HookedMockMonitor).
MONITOR_FIELDS = {
    "RegisterResourceRequest": {
        "type",
        "name",
        "custom",
        "parent",
        "provider",
        "protect",
        "retainOnDelete",
        "dependencies",
        "propertyDependencies",
        "object",
    },
    "RegisterResourceRequest.PropertyDependencies": {"urns"},
    "RegisterResourceResponse": {"urn", "id", "object"},
    "ReadResourceRequest": {"type", "name", "id", "parent", "provider", "dependencies", "properties"},
    "ReadResourceResponse": {"urn", "properties"},
    "RegisterResourceOutputsRequest": {"urn", "outputs"},
}

#: What offline/analyzer.py sends to and reads from a policy pack.
ANALYZER_FIELDS = {
    "AnalyzerStackConfigureRequest": {"stack", "project", "organization", "dry_run", "config"},
    "ConfigureAnalyzerRequest": {"policyConfig"},
    "PolicyConfig": {"enforcementLevel", "properties"},
    "AnalyzerInfo": {"name", "policies"},
    "PolicyInfo": {"name", "enforcementLevel", "configSchema"},
    "PolicyConfigSchema": {"properties"},
    "AnalyzeRequest": {"type", "properties", "urn", "name", "options", "provider"},
    "AnalyzeStackRequest": {"resources"},
    "AnalyzerResource": {
        "type",
        "properties",
        "urn",
        "name",
        "options",
        "provider",
        "parent",
        "dependencies",
        "propertyDependencies",
    },
    "AnalyzerPropertyDependencies": {"urns"},
    "AnalyzerProviderResource": {"type", "name", "properties", "urn"},
    "AnalyzerResourceOptions": {"protect", "parent"},
    "AnalyzeResponse": {"diagnostics"},
    "AnalyzeDiagnostic": {"policyPackName", "policyName", "enforcementLevel", "urn", "message"},
}

ANALYZER_METHODS = ("GetAnalyzerInfo", "ConfigureStack", "Configure", "Analyze", "AnalyzeStack")


def fields_check(module: str, message: str, fields: set[str]) -> Callable[[], str | None]:
    def check() -> str | None:
        found = resolve(f"{module}.{message}")
        lacking = fields - set(found.DESCRIPTOR.fields_by_name)
        return f"has no fields {sorted(lacking)}" if lacking else None

    return check


def check_levels() -> str | None:
    levels = [resolve(f"{ANALYZER_PROTO}.{level}") for level in ("ADVISORY", "MANDATORY", "DISABLED", "REMEDIATE")]
    return None if len(set(levels)) == 4 else f"enforcement levels collide: {levels}"


def check_stub() -> str | None:
    channel = grpc.insecure_channel("127.0.0.1:1")  # never dialled: a stub only names its methods
    try:
        stub = resolve("pulumi.runtime.proto.analyzer_pb2_grpc.AnalyzerStub")(channel)
        missing = [method for method in ANALYZER_METHODS if not callable(getattr(stub, method, None))]
    finally:
        channel.close()
    return f"has no {missing}" if missing else None


def check_stack_trace() -> str | None:
    resolve("pulumi.runtime.resource._get_stack_trace")
    module = resolve("pulumi.runtime.resource")
    if not callable(getattr(getattr(module, "traceback", None), "extract_stack", None)):
        return "no longer takes its frames from the module's traceback.extract_stack"
    return None


RESOURCE_PROTO = "pulumi.runtime.proto.resource_pb2"
ANALYZER_PROTO = "pulumi.runtime.proto.analyzer_pb2"

CHECKS: dict[str, Callable[[], str | None]] = {
    "pulumi.runtime.settings.ROOT": check_root,
    "pulumi.runtime.set_all_config": check_set_all_config,
    "pulumi.runtime.set_mocks(monitor=...)": check_set_mocks,
    "pulumi.runtime.stack.run_pulumi_func": check_run_pulumi_func,
    "pulumi.runtime.sync_await._sync_await": check_sync_await,
    "pulumi.Output.future": check_output_future,
    "pulumi.runtime.stack.Stack.outputs": check_stack_outputs,
    "pulumi.runtime.rpc.deserialize_properties": check_deserialize_properties,
    "pulumi.runtime.rpc._special_sig_key/_special_secret_sig": check_secret_signature,
    "pulumi.runtime.mocks.MockMonitor": check_mock_monitor,
    "pulumi.runtime.resource._get_stack_trace": check_stack_trace,
    **{
        f"{RESOURCE_PROTO}.{message}": fields_check(RESOURCE_PROTO, message, fields)
        for message, fields in MONITOR_FIELDS.items()
    },
    **{
        f"{ANALYZER_PROTO}.{message}": fields_check(ANALYZER_PROTO, message, fields)
        for message, fields in ANALYZER_FIELDS.items()
    },
    f"{ANALYZER_PROTO} enforcement levels": check_levels,
    "pulumi.runtime.proto.analyzer_pb2_grpc.AnalyzerStub": check_stub,
    "python -m pulumi.policy": check_policy_host,
}


@pytest.mark.parametrize("api", list(CHECKS))
def test_each_internal_exists_with_the_shape_we_use(api: str) -> None:
    try:
        problem = CHECKS[api]()
    except MissingError as error:
        problem = f"is gone: {error}"
    except (TypeError, ValueError, AttributeError) as error:
        problem = f"changed shape: {type(error).__name__}: {error}"
    assert problem is None, broken(api, problem)


def test_the_failure_message_names_the_api_and_the_version() -> None:
    """What a maintainer sees after an upgrade; a dotted name that vanished is reported, not raised."""
    with pytest.raises(MissingError, match="has no 'NO_SUCH_ROOT'"):
        resolve("pulumi.runtime.settings.NO_SUCH_ROOT")
    message = broken("pulumi.runtime.settings.ROOT", "is gone")
    assert message.startswith(f"pulumi.runtime.settings.ROOT: is gone (pulumi {PULUMI_VERSION}, ")


@contextlib.contextmanager
def importing_internals() -> Iterator[None]:
    """Import offline/pulumi_internals.py, failing with its own message (API and version) if an
    upgrade moved something it imports."""
    try:
        yield
    except ImportError as error:
        # The module's own ImportError already names the API and the version.
        message = str(error)
        pytest.fail(message if PULUMI_VERSION in message else broken("offline/pulumi_internals.py's imports", message))


def test_the_internals_module_imports_and_names_its_version() -> None:
    with importing_internals():
        from offline import pulumi_internals
    assert pulumi_internals.package_version("pulumi") == PULUMI_VERSION
    assert pulumi_internals.package_version("no-such-distribution") == "unknown"


def test_source_positions_are_the_same_without_reading_source_lines() -> None:
    """The engine lets the SDK skip each frame's line of source; the stack and position it sends the
    monitor for a resource (the frames above the third ``__init__``) must not change."""
    with importing_internals():
        from offline import pulumi_internals
    from pulumi.runtime import resource

    traces: list[Any] = []

    class Resource:
        def __init__(self) -> None:
            traces.append(resource._get_stack_trace())

    class Custom(Resource):
        def __init__(self) -> None:
            super().__init__()

    class Bucket(Custom):
        def __init__(self) -> None:
            super().__init__()

    def program() -> None:
        Bucket()

    original = vars(resource)["traceback"]
    try:
        for skip in (False, True):
            vars(resource)["traceback"] = original
            if skip:
                pulumi_internals.skip_source_lines()
            program()
    finally:
        vars(resource)["traceback"] = original
    sdk, ours = traces
    assert sdk.frames and sdk.frames[0].pc.uri.endswith("test_pulumi_internals.py"), broken(
        "pulumi.runtime.resource._get_stack_trace", f"no longer starts at the program's frame: {sdk}"
    )
    assert ours == sdk


class ProbeMocks(pulumi.runtime.Mocks):
    """Resources get an id and one computed output; the one stack reference exports one value."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            name = str(args.resource_id or args.name)
            return name, {"name": name, "outputs": {"value": "from-upstream"}, "secretOutputNames": []}
        return f"{args.name}-id", {**args.inputs, "computed": "yes"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise AssertionError(f"the probe program invokes nothing, yet {args.token} was invoked")


def probe_program() -> None:
    """A component holding a protected custom resource with a secret input, a stack reference read,
    configuration, and exports: each thing the engine learns through the internals."""

    class Box(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("probe:index:Box", name)
            self.thing = pulumi.CustomResource(
                "probe:index:Thing",
                f"{name}-thing",
                {"plain": 1, "secret": pulumi.Output.secret("s3cret")},
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            self.register_outputs({"thingId": self.thing.id})

    box = Box("box")
    upstream = pulumi.StackReference("organization/probe/upstream")
    pulumi.export("greeting", pulumi.Config().require("greeting"))
    pulumi.export("fromUpstream", upstream.get_output("value"))
    pulumi.export("thingUrn", box.thing.urn)


@dataclass
class Probe:
    """What the engine learned from one run of a probe program."""

    registered: dict[str, Registration] = field(default_factory=dict)
    component_outputs: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)


def run_probe(program: Callable[[], None]) -> Probe:
    """``program`` run as offline/synth.py runs a stack."""
    with importing_internals():
        from offline import pulumi_internals

    probe = Probe()

    class Recorder(pulumi_internals.HookedMockMonitor):
        def on_register(self, registration: Registration) -> None:
            probe.registered[registration.name] = registration

        def on_outputs(self, urn: str, outputs: Any) -> None:
            probe.component_outputs[urn] = outputs

    mocks = ProbeMocks()
    pulumi_internals.reset_root_stack()
    pulumi_internals.set_program_config({"probe:greeting": "hello"})
    pulumi_internals.install_mocks(mocks, Recorder(mocks), project="probe", stack="dev")
    try:
        pulumi_internals.run_program(program)
        probe.exports = pulumi_internals.stack_exports()
    except Exception as error:
        api = "pulumi.runtime.set_mocks / stack.run_pulumi_func / sync_await._sync_await / Output.future"
        pytest.fail(broken(api, f"a program no longer runs under the mock runtime: {type(error).__name__}: {error}"))
    return probe


def test_a_program_runs_under_the_mock_runtime_as_the_engine_runs_it() -> None:
    with importing_internals():
        from offline.pulumi_internals import is_secret
    probe = run_probe(probe_program)
    registered, exports = probe.registered, probe.exports
    assert set(registered) == {"box", "box-thing", "organization/probe/upstream"}, broken(
        "pulumi.runtime.mocks.MockMonitor.RegisterResource/ReadResource", f"the monitor saw {sorted(registered)}"
    )
    box, thing, reference = registered["box"], registered["box-thing"], registered["organization/probe/upstream"]
    monitor_api = f"{RESOURCE_PROTO}.RegisterResourceRequest"
    assert (box.type, box.custom, box.outputs) == ("probe:index:Box", False, {}), broken(monitor_api, repr(box))
    assert thing.urn == "urn:pulumi:dev::probe::probe:index:Box$probe:index:Thing::box-thing", broken(
        "pulumi.runtime.mocks.MockMonitor.make_urn", thing.urn
    )
    assert (thing.id, thing.custom, thing.parent, thing.protect, thing.retain_on_delete) == (
        "box-thing-id",
        True,
        box.urn,
        True,
        False,
    ), broken(monitor_api, repr(thing))
    assert thing.inputs["plain"] == 1 and thing.outputs["computed"] == "yes", broken(
        "pulumi.runtime.rpc.deserialize_properties", repr(thing)
    )
    secret = thing.inputs["secret"]
    assert is_secret(secret) and secret["value"] == "s3cret", broken(
        "pulumi.runtime.rpc._special_sig_key/_special_secret_sig", f"a secret input deserializes as {secret!r}"
    )
    assert not is_secret({"value": "s3cret"})
    assert probe.component_outputs.get(box.urn) == {"thingId": "box-thing-id"}, broken(
        "pulumi.runtime.mocks.MockMonitor.RegisterResourceOutputs", repr(probe.component_outputs)
    )
    assert (reference.id, reference.custom, reference.outputs["outputs"]) == (
        "organization/probe/upstream",
        True,
        {"value": "from-upstream"},
    ), broken(f"{RESOURCE_PROTO}.ReadResourceRequest", repr(reference))
    assert exports == {"greeting": "hello", "fromUpstream": "from-upstream", "thingUrn": thing.urn}, broken(
        "pulumi.runtime.stack.Stack.outputs / pulumi.runtime.set_all_config", f"the exports read {exports}"
    )


def test_each_run_gets_a_new_root_stack() -> None:
    """Several stacks are synthesized in one process: without a new root, one stack's exports would
    leak into the next."""
    run_probe(probe_program)

    def other() -> None:
        pulumi.export("only", "this")

    exports = run_probe(other).exports
    assert exports == {"only": "this"}, broken("pulumi.runtime.settings.ROOT", f"the second run exports {exports}")


PROBE_PACK = """\
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def refuse(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.props.get("open"):
        report_violation("open is set")


PolicyPack(
    name="probe",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name="no-open", description="Nothing is open.", validate=refuse)],
)
"""


def test_a_policy_pack_starts_and_answers_as_the_cli_expects(tmp_path: Path) -> None:
    """The hidden pack host, the variables it reads, the port it prints, and the analyzer protocol."""
    with importing_internals():
        from offline import pulumi_internals
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(PROBE_PACK)
    environment = pulumi_internals.policy_pack_environment("probe", "dev", {"probe:x": "1"}, "organization")
    process = subprocess.Popen(
        pulumi_internals.policy_pack_command("127.0.0.1:0"),
        cwd=tmp_path,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    host = f"python -m {pulumi_internals.POLICY_PACK_MODULE}"
    try:
        assert process.stdout is not None and process.stderr is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = process.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            process.kill()
            pytest.fail(broken(host, f"printed {line!r} for its port; stderr: {process.stderr.read()[-500:]}"))
        analyzer = pulumi_internals.analyzer_pb2
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            stub = pulumi_internals.analyzer_stub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty())
            assert (info.name, [p.name for p in info.policies]) == ("probe", ["no-open"]), broken(
                f"{ANALYZER_PROTO}.AnalyzerInfo", repr(info)
            )
            stub.ConfigureStack(
                analyzer.AnalyzerStackConfigureRequest(
                    stack="dev", project="probe", organization="organization", dry_run=True, config={}
                )
            )
            properties = struct_pb2.Struct()
            properties.update({"open": True})
            response = stub.Analyze(
                analyzer.AnalyzeRequest(type="probe:index:Thing", properties=properties, urn="urn:probe", name="t")
            )
        (diagnostic,) = response.diagnostics
        levels = pulumi_internals.enforcement_levels()
        assert (diagnostic.policyPackName, diagnostic.policyName, diagnostic.enforcementLevel) == (
            "probe",
            "no-open",
            levels["mandatory"],
        ), broken(f"{ANALYZER_PROTO}.AnalyzeDiagnostic", repr(diagnostic))
        assert "open is set" in diagnostic.message
    finally:
        process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
