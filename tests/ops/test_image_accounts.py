"""The SageMaker image accounts the program's job roles may pull from agree with the pinned SDK,
which is what ``ops`` asks for the images of the jobs it starts."""

from __future__ import annotations

import pytest

from contracts.sagemaker_images import DATA_WRANGLER, IMAGE_ACCOUNTS, SCIKIT_LEARN
from ops.runs import SKLEARN_VERSION, sdk_imports

#: The image each repository serves, as ``ops`` retrieves it.
IMAGES = {DATA_WRANGLER: ("data-wrangler", None), SCIKIT_LEARN: ("sklearn", SKLEARN_VERSION)}


@pytest.mark.parametrize("region", sorted(IMAGE_ACCOUNTS))
def test_the_table_names_the_accounts_the_sdk_pulls_from(region: str) -> None:
    with sdk_imports(region):
        from sagemaker.core import image_uris

    for repository, account in IMAGE_ACCOUNTS[region].items():
        framework, version = IMAGES[repository]
        uri = image_uris.retrieve(framework, region, version=version)
        registry, _, path = uri.partition("/")
        assert (registry.split(".")[0], path.split(":")[0]) == (account, repository)


def test_the_table_covers_every_region_where_the_sdk_has_both_images() -> None:
    with sdk_imports("eu-west-1"):
        from sagemaker.core import image_uris

    def available(framework: str, region: str, version: str | None) -> bool:
        try:
            image_uris.retrieve(framework, region, version=version)
        except ValueError:
            return False
        return True

    for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"):
        expected = {repo for repo, (framework, version) in IMAGES.items() if available(framework, region, version)}
        assert set(IMAGE_ACCOUNTS.get(region, {})) == expected, region
