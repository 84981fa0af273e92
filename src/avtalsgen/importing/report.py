"""What an import did: the files it wrote and what it could not place with certainty."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    """Files written (or updated) and notes on what was uncertain, for the summary."""

    written: list[Path] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def summary(self) -> str:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
        lines = [f"wrote {p}" for p in self.written]
        lines.append(f"found: {found or 'nothing'}")
        if self.uncertain:
            lines.append(f"{len(self.uncertain)} places to check (marked in the YAML):")
            lines.extend(f"  - {note}" for note in self.uncertain)
        return "\n".join(lines)
