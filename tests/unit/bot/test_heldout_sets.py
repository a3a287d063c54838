"""The held-out phrasings (tests/nlu) stay out of the training data (data/), or the accuracy `make
test` gates on would measure memory instead of understanding."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [KS123](order_no) → KS123


def phrasings(path: Path) -> dict[str, str]:
    """Normalized phrasing → the intent it is listed under."""
    found = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in (block.get("examples") or "").splitlines() if "intent" in block else []:
            text = ANNOTATION.sub(r"\1", line.strip().removeprefix("- ")).strip()
            if text:
                found[" ".join(text.lower().split())] = block["intent"]
    return found


TRAINING = {text for path in sorted((ROOT / "data").glob("nlu*.yml")) for text in phrasings(path)}
HELDOUT = sorted((ROOT / "tests" / "nlu").glob("heldout_*.yml"))


def test_there_are_held_out_sets_for_both_languages():
    assert any("_zh" in p.name for p in HELDOUT) and any("_en" in p.name for p in HELDOUT)
    assert len(TRAINING) > 1000


@pytest.mark.parametrize("path", HELDOUT, ids=lambda p: p.name)
def test_no_held_out_phrasing_is_in_the_training_data(path):
    assert sorted(set(phrasings(path)) & TRAINING) == []


def test_a_copy_differing_in_case_spacing_or_annotation_counts_as_the_same(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text('nlu:\n- intent: return_goods\n  examples: |\n    - Return  order [KS339](order_no)\n'
                    '- regex: order_no\n  examples: |\n    - KS\\d+\n', encoding="utf-8")
    assert phrasings(path) == {"return order ks339": "return_goods"}
