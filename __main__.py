"""Wiring only: load this stack's settings, build its account, export what other stacks read."""

import pulumi

from components import config
from components.accounts.datamgmt import DatamgmtAccount, DatamgmtAccountArgs
from components.accounts.datasci import DatasciAccount, DatasciAccountArgs
from components.accounts.outputs import DatamgmtOutputs, StackOutputs, ToolingOutputs
from components.accounts.tooling import ToolingAccount, ToolingAccountArgs
from contracts.feature_catalog import load_catalog

# Both validate everything before the first resource is registered.
settings = config.load()
catalog = load_catalog(settings.feature_catalog_dir)
# A team's experimentation Feature Store holds the groups it owns; the other stacks hold them all.
groups = settings.held_groups(catalog)
outputs: StackOutputs

if settings.role == "tooling":
    outputs = ToolingAccount("tooling", ToolingAccountArgs(settings, catalog)).outputs
else:
    tooling = ToolingOutputs.from_stack_reference(pulumi.StackReference(settings.stack_references.tooling))
    if settings.role == "datamgmt":
        outputs = DatamgmtAccount("datamgmt", DatamgmtAccountArgs(settings, tooling, catalog)).outputs
    else:
        datamgmt = DatamgmtOutputs.from_stack_reference(pulumi.StackReference(settings.stack_references.datamgmt))
        # A team's account, or pre-production's (the same shape, without Studio users).
        outputs = DatasciAccount(settings.role, DatasciAccountArgs(settings, tooling, datamgmt, groups)).outputs

pulumi.export("accountRole", settings.role)
for export_name, value in outputs.exports().items():
    pulumi.export(export_name, value)
