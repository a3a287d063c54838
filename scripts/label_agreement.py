"""How far two labellers of the real shoppers' dev set agree: the share of lines they gave the same
intent, Cohen's kappa, and the pairs they split on most. The second labeller labelled a random 300
lines of the open part blind (the guide only, each line alone: docs/labelling-guide.md); the lines'
text stays in ../shared, only sha1s and labels are here.

    .venv/bin/python scripts/label_agreement.py tests/nlu/real/labels.tsv tests/nlu/real/labels_second.tsv
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path


def labels(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["sha1"]: row["intent"] for row in csv.DictReader(f, delimiter="\t")}


def agreement(first: dict[str, str], second: dict[str, str]) -> tuple[float, float, list[tuple[tuple[str, str], int]]]:
    """(observed agreement, Cohen's kappa, the most frequent disagreements) over the lines both labelled."""
    shared = [sha1 for sha1 in second if sha1 in first]
    if not shared:
        raise ValueError("the two files share no line")
    observed = sum(first[s] == second[s] for s in shared) / len(shared)
    a, b = Counter(first[s] for s in shared), Counter(second[s] for s in shared)
    expected = sum(a[k] * b[k] for k in a) / len(shared) ** 2
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    splits = Counter((first[s], second[s]) for s in shared if first[s] != second[s]).most_common(10)
    return observed, kappa, splits


def main() -> int:
    first, second = (labels(Path(p)) for p in sys.argv[1:3])
    observed, kappa, splits = agreement(first, second)
    print(f"{len([s for s in second if s in first])} lines labelled twice: agreement {observed:.1%}, "
          f"Cohen's kappa {kappa:.2f}")
    for (one, other), count in splits:
        print(f"  {one} / {other}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
