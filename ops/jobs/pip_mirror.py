"""Install a job's requirements through the platform's package mirror, then run the job's script:
runs in a SageMaker processing or training container (Python 3.8, boto3), started by ``ops`` as

    python3 pip_mirror.py REQUIREMENTS SCRIPT [ARGUMENTS...]

when the account's settings name a mirror, which ``ops`` puts in the job's environment
(``mirror_environment`` in ops/runs.py). The token comes from CodeArtifact with the job role's
credentials (codeartifact:GetAuthorizationToken, sts:GetServiceBearerToken, through the VPC's
codeartifact.api and sts endpoints); pip reads the repository through the codeartifact.repositories
endpoint (codeartifact:ReadFromRepository). A failure stops the job before the script runs, with
one line naming what failed and what to check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: What ``ops`` sets in the job's environment (ops/runs.py builds them from the settings' mirror).
DOMAIN = "MLOPS_MIRROR_DOMAIN"
OWNER = "MLOPS_MIRROR_OWNER"
REGION = "MLOPS_MIRROR_REGION"
TOKEN_SECONDS = "MLOPS_MIRROR_TOKEN_SECONDS"
#: pip's index URL with ``{token}`` where the token goes.
INDEX_URL = "MLOPS_MIRROR_INDEX_URL"
VARIABLES = (DOMAIN, OWNER, REGION, TOKEN_SECONDS, INDEX_URL)
TOKEN = "{token}"


def mirror(environ: Mapping[str, str]) -> dict[str, str]:
    missing = [name for name in VARIABLES if not environ.get(name)]
    if missing or TOKEN not in environ[INDEX_URL]:
        raise SystemExit(
            f"pip-mirror: {', '.join(missing) or INDEX_URL} missing or malformed in the job's environment; "
            "expected the job started by ops with a package mirror"
        )
    return {name: environ[name] for name in VARIABLES}


def requirements_listed(path: Path) -> bool:
    """Whether the file names anything to install (not only comments and blank lines)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise SystemExit(
            f"pip-mirror: {path} cannot be read ({error.strerror}); expected the requirements file"
        ) from None
    return any(line.split("#", 1)[0].strip() for line in lines)


def client(region: str) -> Any:
    """CodeArtifact's client: few retries and short timeouts, so a missing endpoint fails in minutes."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("codeartifact", region_name=region, config=config)


def token(codeartifact: Any, settings: Mapping[str, str]) -> str:
    """A CodeArtifact token for the mirror's domain, as the job's role."""
    from botocore.exceptions import BotoCoreError, ClientError

    domain, owner = settings[DOMAIN], settings[OWNER]
    try:
        response = codeartifact.get_authorization_token(
            domain=domain, domainOwner=owner, durationSeconds=int(settings[TOKEN_SECONDS])
        )
    except (ClientError, BotoCoreError) as error:
        raise SystemExit(
            f"pip-mirror: no CodeArtifact token for domain {domain} (owner {owner}) in {settings[REGION]} "
            f"({str(error).splitlines()[0]}); check that the job's role may call "
            "codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken, and that the VPC has the "
            "codeartifact.api and sts endpoints"
        ) from None
    return str(response["authorizationToken"])


def pip_command(index_url: str, requirements: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "pip", "install", "--no-input", "--index-url", index_url, "-r", str(requirements)]


def install(
    requirements: Path,
    environ: Mapping[str, str],
    codeartifact: Any = None,
    call: Callable[[list[str]], int] = subprocess.call,
) -> None:
    """Install what ``requirements`` lists from the mirror; nothing (and no token) when it lists nothing."""
    if not requirements_listed(requirements):
        print(f"pip-mirror: {requirements} lists nothing to install")
        return
    settings = mirror(environ)
    secret = token(codeartifact or client(settings[REGION]), settings)
    template = settings[INDEX_URL]
    print(f"pip-mirror: installing {requirements} from {template.replace('aws:' + TOKEN + '@', '')}", flush=True)
    status = call(pip_command(template.replace(TOKEN, secret), requirements))
    if status != 0:
        raise SystemExit(
            f"pip-mirror: pip could not install {requirements} from the mirror (exit {status}, its messages are "
            "above); check the names and versions, that the mirror or its upstream has them, and that the VPC "
            "has the codeartifact.repositories endpoint"
        )


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] = os.environ,
    execute: Callable[[str, list[str]], object] = os.execv,
) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) < 2:
        raise SystemExit("usage: pip_mirror.py REQUIREMENTS SCRIPT [ARGUMENTS...]")
    requirements, script = Path(arguments[0]), arguments[1]
    install(requirements, environ)
    sys.stdout.flush()
    sys.stderr.flush()
    # The script runs as if started directly: same interpreter, its own arguments, this process.
    execute(sys.executable, [sys.executable, script, *arguments[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
