"""Live operations with boto3 and the SageMaker Python SDK: run a feature job or a training
pipeline, audit an account, list the feature catalog, read online features. Run as
``python -m ops``; see ``python -m ops -h``.

The SageMaker SDK is imported only by the commands that build pipelines, and only after the region
and credentials are settled: at import it creates boto3 clients, which would otherwise go looking
for credentials on the network.
"""


class OpsError(Exception):
    """Bad input (arguments, files, settings) or an account not in the state expected: one line,
    exit code 2."""


class FeatureJobError(Exception):
    """A feature job or training pipeline ran and failed: the failing step and its reason, exit code 1."""
