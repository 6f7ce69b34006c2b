"""Studio's lifecycle scripts: ``pip-mirror.sh``, which JupyterLab and Code Editor apps run at start
to point pip at the package mirror, filled here with the platform's mirror.

Only the mirror's four values vary, and each must be what CodeArtifact and AWS accept (the API's
patterns, a region of ``contracts.regions``), so nothing else can reach the script.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from contracts import InputError
from contracts.package_mirror import TOKEN_SECONDS, PackageMirror

#: The script, with ``@@NAME@@`` placeholders.
PIP_MIRROR_SCRIPT = Path(__file__).resolve().parent / "pip-mirror.sh"
#: The most a lifecycle configuration's content may be: StudioLifecycleConfigContent is the script in
#: base64, 1 to 16384 characters (so at most 12288 bytes of script).
#: https://docs.amazonaws.cn/en_us/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.md
#: (the same page as https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html)
CONTENT_LIMIT = 16384
PLACEHOLDER = re.compile(r"@@[A-Z_]+@@")


class LifecycleError(InputError):
    """A script that cannot become a lifecycle configuration."""


def render_pip_mirror(mirror: PackageMirror, template: str | None = None) -> str:
    """``pip-mirror.sh`` (or ``template``) with the mirror's values in place of its placeholders."""
    mirror.check()
    script = PIP_MIRROR_SCRIPT.read_text() if template is None else template
    values = {
        "@@DOMAIN@@": mirror.domain,
        "@@OWNER@@": mirror.owner,
        "@@REGION@@": mirror.region,
        "@@REPOSITORY@@": mirror.repository,
        "@@TOKEN_SECONDS@@": str(TOKEN_SECONDS),
    }
    for placeholder, value in values.items():
        script = script.replace(placeholder, value)
    left = sorted(set(PLACEHOLDER.findall(script)))
    if left:
        raise LifecycleError(f"pip-mirror.sh: {', '.join(left)} left unfilled; expected only {', '.join(values)}")
    lifecycle_content(script)
    return script


def lifecycle_content(script: str) -> str:
    """A script as StudioLifecycleConfigContent takes it: base64, within Studio's limit."""
    content = base64.b64encode(script.encode()).decode()
    if len(content) > CONTENT_LIMIT:
        raise LifecycleError(
            f"lifecycle script: {len(content)} characters of base64; expected at most {CONTENT_LIMIT} "
            f"(Studio's limit on a lifecycle configuration's content)"
        )
    return content


def pip_mirror_content(mirror: PackageMirror) -> str:
    """The pip-mirror lifecycle configuration's content for ``mirror``."""
    return lifecycle_content(render_pip_mirror(mirror))
