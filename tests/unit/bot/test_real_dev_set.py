"""The real shoppers' dev set: our labels of lines of ../shared/data/jddc-dev/ (research-licensed),
keyed by sha1. The lines stay there: none of them, nor a long part of one, is in the repository."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
# Research-licensed, so never in the repository: beside the checkout, or where AFTERSALES_SHARED_DIR says.
SHARED = Path(os.environ.get("AFTERSALES_SHARED_DIR") or ROOT.parent / "shared")
SESSIONS = SHARED / "data" / "jddc-dev" / "sessions.tsv"
LABELS = ROOT / "tests" / "nlu" / "real" / "labels.tsv"
# A run this long in common with a real line is a copy, not a shared turn of phrase.
SHINGLE = 12
# Shorter real lines ("好的谢谢", "在吗") are what everyone writes; longer ones must not be in data/.
MIN_LINE = 8


def plain(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def real_lines() -> dict[str, str]:
    if not SESSIONS.is_file():  # a failure, not a skip: the gate must not pass unchecked
        pytest.fail(f"the real shoppers' lines are not at {SESSIONS}: put the shared folder beside the checkout, "
                    "or set AFTERSALES_SHARED_DIR to it")
    with SESSIONS.open(encoding="utf-8", newline="") as f:
        return {hashlib.sha1(r["text"].encode("utf-8")).hexdigest(): r["text"]
                for r in csv.DictReader(f, delimiter="\t") if r["speaker"] == "shopper"}


def labels() -> dict[str, str]:
    with LABELS.open(encoding="utf-8", newline="") as f:
        return {r["sha1"]: r["intent"] for r in csv.DictReader(f, delimiter="\t")}


def domain_intents() -> set[str]:
    return set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])


def repository_phrasings() -> list[tuple[str, str]]:
    found = []
    paths = [*sorted((ROOT / "data").glob("nlu*.yml")), *sorted((ROOT / "tests").rglob("*.yml")),
             *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "reports").rglob("*.md")), ROOT / "README.md"]
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- "))
            found.append((path.name, text))
    return found


def test_at_least_1200_labelled_lines_all_present_and_labelled_with_the_contract():
    lines, labelled = real_lines(), labels()
    assert len(labelled) >= 1200
    assert set(labelled) <= set(lines)
    assert set(labelled.values()) <= domain_intents()
    # The new intents are in the set, so their recognition is measured on real lines.
    counts = Counter(labelled.values())
    for intent in ("invoice", "price_protection", "exchange_goods", "repair", "change_delivery_time",
                   "missing_item", "withdraw_request", "out_of_scope", "complain"):
        assert counts[intent] >= 5, intent


def test_a_fifth_is_sealed():
    sealed = sum(int(sha1, 16) % 5 == 0 for sha1 in labels())
    assert 0.15 < sealed / len(labels()) < 0.25


def test_no_real_line_is_copied_into_the_repository():
    real = {plain(t) for t in real_lines().values()}
    exact = {r for r in real if len(r) >= MIN_LINE}
    shingles = {r[i:i + SHINGLE] for r in real for i in range(len(r) - SHINGLE + 1)}
    copied = []
    for where, text in repository_phrasings():
        p = plain(text)
        if p in exact or any(p[i:i + SHINGLE] in shingles for i in range(len(p) - SHINGLE + 1)):
            copied.append((where, text[:40]))
    assert copied == []


@pytest.mark.parametrize("line", ["我是王小明，订单号P202611210000105还没到，已经三天了，请帮我查一下到哪了"])
def test_the_copy_check_would_catch_a_copy(line, tmp_path):
    real = plain(line)
    shingles = {real[i:i + SHINGLE] for i in range(len(real) - SHINGLE + 1)}
    pasted = plain("客服你好 " + line[5:30] + " 谢谢")
    assert any(pasted[i:i + SHINGLE] in shingles for i in range(len(pasted) - SHINGLE + 1))
