"""A picture of the accounts (tooling, data management, each data science team's, pre-production's):
each a cluster of its building blocks, coloured by the account's role, and the edges that cross
accounts (stack references, role trusts, Lake Formation shares, resource links, and the pipelines'
paths from a feature branch to a team's account and to production), all read from the synthesized
stacks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import graphviz

from offline.engine import Preview
from offline.mocks import ResourceRecord
from offline.synth import StackResult

#: A cluster's fill, by the stack's ``accountRole`` export: every data science team's account alike.
ACCOUNT_COLOURS = {"tooling": "#fdf1dc", "datamgmt": "#e3f0fb", "datasci": "#e6f5e6", "preprod": "#f3e8f8"}
OTHER_COLOUR = "#f0f0f0"
_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    label: str
    style: str


def _node_id(key: str) -> str:
    """Stable across runs, so the committed picture changes only when the platform does."""
    return "n" + hashlib.sha1(key.encode()).hexdigest()[:12]


class _Account:
    """One stack drawn as a cluster: its building blocks (components), its loose resources grouped
    by type, and a node for its stack outputs."""

    def __init__(self, result: StackResult) -> None:
        self.result = result
        self.by_urn = {r.urn: r for r in result.resources}
        accounts = [r for r in result.resources if r.type.startswith("mlops:account:")]
        top = accounts[0].urn if accounts else None
        # The account's blocks (foundation, feature jobs, model training) only group: their
        # children are drawn as the account's own building blocks.
        blocks = {r.urn for r in accounts if r.parent == top}
        # Sorted: registration order varies between runs, and the picture should not.
        self.tops = sorted(
            (
                r
                for r in result.resources
                if r.urn not in blocks
                and (r.parent == top or r.parent in blocks if top else r.parent not in self.by_urn)
            ),
            key=lambda r: (r.type, r.name),
        )
        self.outputs = _node_id(f"{result.name}/outputs")

    def node(self, record: ResourceRecord) -> str:
        """The node a resource is drawn in: its building block, or its type's group."""
        tops = {r.urn for r in self.tops}
        current: ResourceRecord | None = record
        while current is not None and current.urn not in tops:
            current = self.by_urn.get(current.parent)
        if current is None:
            return self.outputs
        return _node_id(current.urn) if current.type.startswith("mlops:") else self._group(current.type)

    def _group(self, token: str) -> str:
        return _node_id(f"{self.result.name}/{token}")

    def component(self, token: str) -> str | None:
        found = [r for r in self.tops if r.type == token]
        return _node_id(found[0].urn) if found else None

    def draw(self, graph: graphviz.Digraph) -> None:
        result = self.result
        with graph.subgraph(name=f"cluster_{result.name}") as cluster:
            cluster.attr(
                label=f"{result.name}  ({result.account_id}, {result.region})",
                style="filled",
                fillcolor=colour(result),
                fontsize="14",
            )
            cluster.node(self.outputs, "stack outputs", shape="note", fillcolor="#ffffff")
            groups: dict[str, int] = {}
            for record in self.tops:
                if record.type.startswith("mlops:"):
                    cluster.node(_node_id(record.urn), f"{record.type.rsplit(':', 1)[-1]}\n{record.name}")
                elif record.custom:
                    groups[record.type] = groups.get(record.type, 0) + 1
            for token, count in sorted(groups.items()):
                kind = token.rsplit(":", 1)[-1]
                cluster.node(self._group(token), kind if count == 1 else f"{kind} x{count}", fillcolor="#f7f7f7")


def colour(result: StackResult) -> str:
    """The fill of a stack's cluster: what the account is (its ``accountRole`` export), not its name."""
    return ACCOUNT_COLOURS.get(str(result.outputs.get("accountRole", "")), OTHER_COLOUR)


def _edges(accounts: dict[str, _Account]) -> Iterator[Edge]:
    by_account_id = {a.result.account_id: a for a in accounts.values()}
    role_nodes: dict[str, tuple[_Account, str]] = {
        r.outputs["arn"]: (a, a.node(r))
        for a in accounts.values()
        for r in a.result.resources
        if r.type == "aws:iam/role:Role" and r.outputs.get("arn")
    }
    for account in accounts.values():
        for record in sorted(account.result.resources, key=lambda r: r.urn):
            inputs = record.inputs
            if record.type == "pulumi:pulumi:StackReference":
                upstream = accounts.get(record.id.rsplit("/", 1)[-1])
                if upstream is not None:
                    yield Edge(upstream.outputs, account.outputs, "stack reference", "dotted")
            elif record.type == "aws:iam/role:Role":
                trust = json.loads(inputs.get("assumeRolePolicy") or "{}")
                for statement in trust.get("Statement", []):
                    principal = statement.get("Principal", {}).get("AWS")
                    for arn in [principal] if isinstance(principal, str) else principal or []:
                        if arn in role_nodes and role_nodes[arn][0] is not account:
                            yield Edge(role_nodes[arn][1], account.node(record), "assumes", "bold")
            elif record.type == "aws:lakeformation/permissions:Permissions" and "lfTagPolicy" in inputs:
                consumer = by_account_id.get(str(inputs.get("principal", "")))
                if consumer is not None and consumer is not account:
                    policy = inputs["lfTagPolicy"]
                    what = ", ".join(f"{e['key']} in {'/'.join(e['values'])}" for e in policy.get("expressions", []))
                    target = consumer.component("mlops:lakeformation:LakeFormationSettings") or consumer.outputs
                    label = f"LF-tag share (RAM): {policy['resourceType'].lower()}s where\n{what}"
                    yield Edge(account.node(record), target, label, "solid")
            elif record.type == "aws:glue/catalogDatabase:CatalogDatabase" and inputs.get("targetDatabase"):
                target = inputs["targetDatabase"]
                producer = by_account_id.get(str(target.get("catalogId")))
                if producer is not None:
                    head = producer.component("mlops:catalog:GlueCatalog") or producer.outputs
                    yield Edge(account.node(record), head, f"resource link to {target['databaseName']}", "dashed")
            elif record.type == "aws:codepipeline/pipeline:Pipeline":
                yield from _pipeline_edges(record, account, {arn: node for arn, (_, node) in role_nodes.items()})


def _pipeline_edges(record: ResourceRecord, account: _Account, role_nodes: dict[str, str]) -> Iterator[Edge]:
    """A pipeline's path: the branches that trigger it, its stages, and the role its job assumes."""
    inputs = record.inputs
    branches = [
        branch
        for trigger in inputs.get("triggers") or []
        for push in trigger["gitConfiguration"]["pushes"]
        for branch in push["branches"]["includes"]
    ]
    stages = [stage["name"] for stage in inputs["stages"]]
    for stage in inputs["stages"]:
        for action in stage["actions"]:
            raw = action.get("configuration", {}).get("EnvironmentVariables")
            variables = {v["name"]: v["value"] for v in json.loads(raw)} if raw else {}
            target = variables.get("TARGET_ROLE_ARN")
            if target in role_nodes:
                path = " -> ".join(stages[1 : stages.index(stage["name"]) + 1])
                label = f"{inputs['name']}\npush to {', '.join(branches) or 'the branch'}: {path}"
                yield Edge(account.node(record), role_nodes[target], label, "bold")


def build(preview: Preview) -> graphviz.Digraph:
    count = len(preview.stacks)
    graph = graphviz.Digraph(
        "platform",
        graph_attr={
            "rankdir": "LR",
            "fontname": "Helvetica",
            "label": f"MLOps feature platform: {_COUNTS[count] if count < len(_COUNTS) else count} account"
            + ("" if count == 1 else "s"),
            "labelloc": "t",
            "fontsize": "18",
            "nodesep": "0.15",
            "ranksep": "1.2",
        },
    )
    graph.attr("node", shape="box", style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize="10")
    graph.attr("edge", fontname="Helvetica", fontsize="9")
    accounts = {stack.result.name: _Account(stack.result) for stack in preview.stacks}
    for account in accounts.values():
        account.draw(graph)
    seen = set()
    for edge in _edges(accounts):
        if (edge.tail, edge.head, edge.label) not in seen:
            seen.add((edge.tail, edge.head, edge.label))
            graph.edge(edge.tail, edge.head, label=edge.label, style=edge.style)
    return graph


def render(preview: Preview, out: str) -> str:
    """Write the picture; the format follows the file's extension (.svg, .png or .dot)."""
    graph = build(preview)
    extension = out.rpartition(".")[2]
    if extension == "dot":
        with open(out, "w") as handle:
            handle.write(graph.source)
        return out
    graph.format = extension
    return str(graph.render(outfile=out, cleanup=True))
