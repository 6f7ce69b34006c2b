"""The AWS accounts that publish the SageMaker images the platform's jobs run, per region.

Feature jobs run a Data Wrangler flow on the Data Wrangler image, or an exported script (and
training pipelines their steps) on the scikit-learn image. Their execution roles may pull exactly
these repositories of exactly these accounts, not ``sagemaker-*`` of any account. The table comes
from the SageMaker Python SDK's image configuration (``sagemaker/core/image_uri_config``);
``tests/ops/test_image_accounts.py`` checks that it still agrees with the pinned SDK.
"""

from __future__ import annotations

DATA_WRANGLER = "sagemaker-data-wrangler-container"
SCIKIT_LEARN = "sagemaker-scikit-learn"

#: Region to image repository to the AWS account that publishes it there.
IMAGE_ACCOUNTS: dict[str, dict[str, str]] = {
    "af-south-1": {DATA_WRANGLER: "143210264188", SCIKIT_LEARN: "510948584623"},
    "ap-east-1": {DATA_WRANGLER: "707077482487", SCIKIT_LEARN: "651117190479"},
    "ap-northeast-1": {DATA_WRANGLER: "649008135260", SCIKIT_LEARN: "354813040037"},
    "ap-northeast-2": {DATA_WRANGLER: "131546521161", SCIKIT_LEARN: "366743142698"},
    "ap-northeast-3": {DATA_WRANGLER: "913387583493", SCIKIT_LEARN: "867004704886"},
    "ap-south-1": {DATA_WRANGLER: "089933028263", SCIKIT_LEARN: "720646828776"},
    "ap-south-2": {SCIKIT_LEARN: "628508329040"},
    "ap-southeast-1": {DATA_WRANGLER: "119527597002", SCIKIT_LEARN: "121021644041"},
    "ap-southeast-2": {DATA_WRANGLER: "422173101802", SCIKIT_LEARN: "783357654285"},
    "ap-southeast-3": {SCIKIT_LEARN: "951798379941"},
    "ap-southeast-4": {SCIKIT_LEARN: "106583098589"},
    "ca-central-1": {DATA_WRANGLER: "557239378090", SCIKIT_LEARN: "341280168497"},
    "ca-west-1": {SCIKIT_LEARN: "190319476487"},
    "cn-north-1": {DATA_WRANGLER: "245909111842", SCIKIT_LEARN: "450853457545"},
    "cn-northwest-1": {DATA_WRANGLER: "249157047649", SCIKIT_LEARN: "451049120500"},
    "eu-central-1": {DATA_WRANGLER: "024640144536", SCIKIT_LEARN: "492215442770"},
    "eu-central-2": {SCIKIT_LEARN: "680994064768"},
    "eu-north-1": {DATA_WRANGLER: "054986407534", SCIKIT_LEARN: "662702820516"},
    "eu-south-1": {DATA_WRANGLER: "488287956546", SCIKIT_LEARN: "978288397137"},
    "eu-south-2": {SCIKIT_LEARN: "104374241257"},
    "eu-west-1": {DATA_WRANGLER: "245179582081", SCIKIT_LEARN: "141502667606"},
    "eu-west-2": {DATA_WRANGLER: "894491911112", SCIKIT_LEARN: "764974769150"},
    "eu-west-3": {DATA_WRANGLER: "807237891255", SCIKIT_LEARN: "659782779980"},
    "il-central-1": {DATA_WRANGLER: "406833011540", SCIKIT_LEARN: "898809789911"},
    "me-central-1": {SCIKIT_LEARN: "272398656194"},
    "me-south-1": {DATA_WRANGLER: "376037874950", SCIKIT_LEARN: "801668240914"},
    "sa-east-1": {DATA_WRANGLER: "424196993095", SCIKIT_LEARN: "737474898029"},
    "us-east-1": {DATA_WRANGLER: "663277389841", SCIKIT_LEARN: "683313688378"},
    "us-east-2": {DATA_WRANGLER: "415577184552", SCIKIT_LEARN: "257758044811"},
    "us-gov-east-1": {SCIKIT_LEARN: "237065988967"},
    "us-gov-west-1": {SCIKIT_LEARN: "414596584902"},
    "us-iso-east-1": {SCIKIT_LEARN: "833128469047"},
    "us-isob-east-1": {SCIKIT_LEARN: "281123927165"},
    "us-isof-east-1": {SCIKIT_LEARN: "108575199400"},
    "us-isof-south-1": {SCIKIT_LEARN: "124985052026"},
    "us-west-1": {DATA_WRANGLER: "926135532090", SCIKIT_LEARN: "746614075791"},
    "us-west-2": {DATA_WRANGLER: "174368400705", SCIKIT_LEARN: "246618743249"},
}


def image_repository_arns(partition: str, region: str) -> list[str]:
    """The ARNs of the SageMaker image repositories the platform's jobs pull in ``region``."""
    repositories = IMAGE_ACCOUNTS.get(region)
    if repositories is None:
        raise ValueError(
            f"aws:region: {region!r} has no SageMaker image accounts in contracts/sagemaker_images.py; "
            f"expected one of {', '.join(IMAGE_ACCOUNTS)}"
        )
    return [
        f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
        for repository, account in sorted(repositories.items())
    ]
