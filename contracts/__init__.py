"""What the Pulumi program, the offline engine and the live operations all depend on, with no
Pulumi, provider or cloud SDK import: names, tags and the deterministic ARNs; the configuration and
its reader; the interface endpoint sets; the job-settings document the stacks publish and ``ops``
reads; the feature catalog; the stack-configuration loader; the one-line CLI parser.

``components`` (the program), ``offline`` and ``ops`` import from here; nothing here imports them
(tests/test_contracts.py fences it).
"""


class InputError(ValueError):
    """Bad input (a project file, a stack file, a CLI argument): one line naming the input, the bad
    value and the expected form; the command-line tools exit 2 on it."""
