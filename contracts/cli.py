"""What the command-line tools (``python -m offline``, ``python -m ops``) share."""

from __future__ import annotations

import argparse
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line (the problem, then the expected form), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        self.exit(2, f"{self.prog}: {message}; expected {usage}\n")
