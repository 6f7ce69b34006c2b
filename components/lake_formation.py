"""Lake Formation in an account: its settings, and grants that name their resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class LakeFormationSettingsArgs:
    #: IAM role ARNs of the data lake administrators. The API replaces the whole settings object,
    #: so every admin must be listed here, the role that deploys this stack included; an admin added
    #: in the console is removed by the next deploy.
    admins: Sequence[str]

    def __post_init__(self) -> None:
        if not self.admins:
            raise ValueError("admins: [] is empty; expected at least the role that deploys this stack")


class LakeFormationSettings(pulumi.ComponentResource):
    """Lake Formation, not IAM alone, governs new databases and tables.

    The default permissions are empty, so new databases and tables give ``IAM_ALLOWED_PRINCIPALS``
    nothing. Databases and tables created before keep the grant they were created with; revoke it
    on them, once, when adopting this component in an account that already has a catalog.
    """

    settings: aws.lakeformation.DataLakeSettings

    def __init__(self, name: str, args: LakeFormationSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:lakeformation:LakeFormationSettings", name, None, opts)
        self.settings = aws.lakeformation.DataLakeSettings(
            f"{name}-settings",
            admins=list(args.admins),
            create_database_default_permissions=[],
            create_table_default_permissions=[],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"admins": list(args.admins)})
