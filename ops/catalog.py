"""The feature catalog as a table, so features are found and reused rather than rebuilt."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.feature_catalog import FeatureGroupSpec


def table(specs: Sequence[FeatureGroupSpec], detail: bool = False) -> str:
    rows = [("GROUP", "OWNER", "FEATURES", "ONLINE", "TTL", "CLASSIFICATION", "DESCRIPTION")]
    for spec in specs:
        ttl = f"{spec.ttl_days}d" if spec.ttl_days else "-"
        rows.append(
            (
                spec.name,
                spec.owner,
                str(len(spec.features)),
                "yes" if spec.online_store else "no",
                ttl,
                spec.classification,
                spec.description,
            )
        )
        if detail:
            rows.extend(("", f"  {f.name}", f.type, "", "", "", f.description) for f in spec.features)
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:6], widths, strict=True)) + "  " + row[6]
        for row in rows
    ]
    lines.append(f"{len(specs)} feature groups, {sum(len(s.features) for s in specs)} features")
    return "\n".join(line.rstrip() for line in lines)
