"""Wiring only: load this stack's settings, build its account, export what other stacks read."""

from collections.abc import Mapping

import pulumi

from components import config
from components.accounts.datamgmt import DatamgmtAccount, DatamgmtAccountArgs
from components.accounts.datasci import DatasciAccount, DatasciAccountArgs
from components.accounts.tooling import ToolingAccount, ToolingAccountArgs, ToolingOutputs

settings = config.load()
exports: Mapping[str, pulumi.Input[str]]

if settings.role == "tooling":
    exports = ToolingAccount("tooling", ToolingAccountArgs(settings)).outputs.exports()
else:
    tooling = ToolingOutputs.from_stack_reference(pulumi.StackReference(settings.stack_references.tooling))
    if settings.role == "datamgmt":
        exports = DatamgmtAccount("datamgmt", DatamgmtAccountArgs(settings, tooling)).exports
    else:
        exports = DatasciAccount("datasci", DatasciAccountArgs(settings, tooling)).exports

pulumi.export("accountRole", settings.role)
pulumi.export("accountId", settings.account_id)
for export_name, value in exports.items():
    pulumi.export(export_name, value)
