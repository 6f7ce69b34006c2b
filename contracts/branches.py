"""CodePipeline's branch globs, as its push triggers match them: the program checks with them that
no team's branches start another team's pipeline, and the tests which pipeline a push starts."""

from __future__ import annotations

import re
from functools import cache


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A CodePipeline glob as a regular expression
    (https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html): ``*`` is zero or
    more characters within a path segment, ``**`` zero or more across ``/``, ``?`` one character,
    ``[...]`` one of a set (``[!...]`` none of it), ``{a,b}`` either sub-pattern, ``\\`` escapes."""
    parts: list[str] = []
    index, group = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        if char == "[":
            close = pattern.find("]", index + 2)
            if close < 0:
                raise ValueError(f"{pattern!r}: [ at {index} is never closed; expected a glob such as feature/*")
            body = pattern[index + 1 : close]
            negated = body.startswith("!")
            members = "".join(f"\\{c}" if c in "\\^[]" else c for c in body[negated:])
            parts.append(f"[^/{members}]" if negated else f"(?!/)[{members}]")
            index = close + 1
            continue
        if char == "{" and not group:
            parts.append("(?:")
            group = True
        elif char == "}" and group:
            parts.append(")")
            group = False
        elif char == "," and group:
            parts.append("|")
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    if group:
        raise ValueError(f"{pattern!r}: {{ is never closed; expected a glob such as feature/{{a,b}}/*")
    return re.compile("".join(parts))


def glob_matches(pattern: str, branch: str) -> bool:
    """Whether a push to ``branch`` matches ``pattern``; ValueError for a pattern that is no glob."""
    return glob_regex(pattern).fullmatch(branch) is not None
