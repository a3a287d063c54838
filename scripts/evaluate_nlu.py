"""Intent accuracy of the trained model on held-out phrasings and on real shoppers' lines (runs in
the bot runtime).

    .venv-bot/bin/python scripts/evaluate_nlu.py tests/nlu/heldout_*.yml --min-accuracy 0.93 \
        [--report reports/nlu-heldout.md] [--json results/heldout.json]
    .venv-bot/bin/python scripts/evaluate_nlu.py --real tests/nlu/real/labels.tsv \
        --min-accuracy 0.90 --max-false-money 0.02 [--report …] [--json …]

Each set is reported on its own and all together; --min-accuracy applies to all together.

The real set is labels of our own keyed by sha1 of lines of ../shared/data/jddc-dev/sessions.tsv
(research-licensed: the lines stay there and are read at run time; docs/labelling-guide.md). Its
privacy placeholders ([订单x], [金额x], …) become values of the kind a shopper types before parsing —
the bot never sees a placeholder. A fifth is sealed (int(sha1, 16) % 5 == 0) and reported apart; the
report never prints a real line. The false money-flow rate is the share of lines that ask for no
cancellation, refund, return or interception that were read as one of those four.

Retrieval intents count by their base name (faq/refund_time → faq), as the dialogue sees them.
For out_of_scope phrasings, nlu_fallback counts as right: both take the same path (clarify once,
then offer a human), and a rule could not tell them apart."""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import hashlib
import json
import logging
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import structlog
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.common import configure_logging_and_warnings

# The model names our own NLU component (bot_extensions.nlu); `rasa` finds it from the working
# directory, a script started from scripts/ does not.
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
configure_logging_and_warnings(logging.WARNING)
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


ROOT = Path(__file__).resolve().parent.parent
# Research-licensed, so never in the repository: beside the checkout, or where AFTERSALES_SHARED_DIR says.
SHARED = Path(os.environ.get("AFTERSALES_SHARED_DIR") or ROOT.parent / "shared")
SESSIONS = SHARED / "data" / "jddc-dev" / "sessions.tsv"
MONEY_INTENTS = {"cancel_order", "request_refund", "return_goods", "intercept_delivery"}
# What a shopper would have typed where the publishers put a placeholder.
PLACEHOLDERS = {"[订单x]": "80239465721", "[数字x]": "3", "[金额x]": "199.00", "[日期x]": "2026-11-12",
                "[时间x]": "10:21:33", "[姓名x]": "张伟", "[地址x]": "北京市朝阳区建国路88号",
                "[链接x]": "https://item.jd.com/1000123.html", "[站点x]": "jd.com", "[电话x]": "13800138000",
                "[身份证号x]": "110101199001011234", "[邮箱x]": "shopper@example.com"}
_OTHER_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,6}x\]")

Row = tuple[str, str, str, float]


def fill_placeholders(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return _OTHER_PLACEHOLDER.sub("1", text)


def is_sealed(sha1: str) -> bool:
    return int(sha1, 16) % 5 == 0


def real_examples(labels: Path, sessions: Path = SESSIONS) -> dict[str, list[tuple[str, str, str]]]:
    """(sha1, text, intent) of the labelled real lines, split into the open and the sealed part."""
    if not sessions.is_file():
        raise SystemExit(f"the real shoppers' lines are not at {sessions}: put the shared folder beside the "
                         "checkout, or set AFTERSALES_SHARED_DIR to it")
    with sessions.open(encoding="utf-8", newline="") as f:
        texts = {hashlib.sha1(row["text"].encode("utf-8")).hexdigest(): row["text"]
                 for row in csv.DictReader(f, delimiter="\t") if row["speaker"] == "shopper"}
    parts: dict[str, list[tuple[str, str, str]]] = {"open": [], "sealed": []}
    with labels.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            parts["sealed" if is_sealed(row["sha1"]) else "open"].append(
                (row["sha1"], fill_placeholders(texts[row["sha1"]]), row["intent"]))
    return parts


@functools.lru_cache(maxsize=1)
def agent_for(model: str) -> Agent:
    return Agent.load(model)


async def classify(model: str, examples: list[tuple[str, str]]) -> list[Row]:
    """(text, expected, predicted, confidence) per example, intents by their base name."""
    agent = agent_for(model)
    rows = []
    for text, expected in examples:
        parsed = await agent.parse_message(text)
        predicted = parsed["intent"]["name"].split("/")[0]
        if expected == "out_of_scope" and predicted == "nlu_fallback":
            predicted = expected
        rows.append((text, expected.split("/")[0], predicted, parsed["intent"]["confidence"]))
    return rows


def accuracy(rows: list[Row]) -> float:
    return sum(e == p for _, e, p, _ in rows) / len(rows) if rows else 0.0


def false_money_rate(rows: list[Row]) -> float:
    asked_for_none = [p for _, e, p, _ in rows if e not in MONEY_INTENTS]
    return sum(p in MONEY_INTENTS for p in asked_for_none) / len(asked_for_none) if asked_for_none else 0.0


def per_intent_table(rows: list[Row]) -> list[str]:
    per_intent: dict[str, Counter] = defaultdict(Counter)
    for _, expected, predicted, _ in rows:
        per_intent[expected]["total"] += 1
        per_intent[expected]["correct"] += expected == predicted
    lines = ["| intent | lines | correct | accuracy |", "|---|---|---|---|"]
    for intent, c in sorted(per_intent.items(), key=lambda item: (-item[1]["total"], item[0])):
        lines.append(f"| {intent} | {c['total']} | {c['correct']} | {c['correct'] / c['total']:.0%} |")
    return lines


def report(rows: list[Row], source: str, show_text: bool = True) -> str:
    lines = [f"Held-out set: `{source}` — {len(rows)} phrasings, intent accuracy **{accuracy(rows):.1%}**.", "",
             *per_intent_table(rows)]
    misses = [(t, e, p, c) for t, e, p, c in rows if e != p]
    lines += ["", f"Misclassified ({len(misses)}):", ""]
    lines += [f"- “{t}”: expected `{e}`, got `{p}` ({c:.2f})" for t, e, p, c in misses] or ["- none"]
    return "\n".join(lines) + "\n"


def confusions(rows: list[Row], top: int = 15) -> list[str]:
    counted = Counter((e, p) for _, e, p, _ in rows if e != p)
    return [f"| {e} | {p} | {n} |" for (e, p), n in counted.most_common(top)]


def evaluate_heldout(model: str, paths: list[str]) -> tuple[list[Row], str, dict[str, Any]]:
    sections, everything, figures = [], [], {}
    for path in paths:
        examples = [(m.get("text"), m.get("intent")) for m in load_data(path).intent_examples]
        rows = asyncio.run(classify(model, examples))
        everything += rows
        figures[Path(path).name] = {"n": len(rows), "accuracy": accuracy(rows)}
        sections.append(report(rows, path))
    text = (f"All held-out sets together: {len(everything)} phrasings, intent accuracy "
            f"**{accuracy(everything):.1%}**.\n\n" + "\n".join(sections))
    return everything, text, {"sets": figures, "n": len(everything), "accuracy": accuracy(everything),
                              "per_intent": per_intent(everything)}


def per_intent(rows: list[Row]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "correct": 0})
    for _, e, p, _ in rows:
        counts[e]["n"] += 1
        counts[e]["correct"] += e == p
    return dict(counts)


def evaluate_real(model: str, labels: Path) -> tuple[list[Row], str, dict[str, Any]]:
    """The real dev set; the report names lines by sha1 only (the lines are not ours to publish)."""
    parts = real_examples(labels)
    figures: dict[str, Any] = {}
    lines = []
    everything: list[Row] = []
    for part, examples in parts.items():
        rows = asyncio.run(classify(model, [(text, intent) for _, text, intent in examples]))
        everything += rows
        figures[part] = {"n": len(rows), "accuracy": accuracy(rows), "false_money": false_money_rate(rows),
                         "per_intent": per_intent(rows),
                         "confusions": Counter(f"{e}→{p}" for _, e, p, _ in rows if e != p).most_common(20),
                         "misses": [(sha1, e, p) for (sha1, _, _), (_, e, p, _)
                                    in zip(examples, rows, strict=True) if e != p]}
        lines += [f"### Real shoppers, {part} part: {len(rows)} lines, intent accuracy **{accuracy(rows):.1%}**, "
                  f"false money flows **{false_money_rate(rows):.1%}**", "", *per_intent_table(rows), "",
                  "| expected | read as | lines |", "|---|---|---|", *confusions(rows), ""]
    figures["all"] = {"n": len(everything), "accuracy": accuracy(everything),
                      "false_money": false_money_rate(everything)}
    head = (f"Real shoppers' lines together: {len(everything)}, intent accuracy **{accuracy(everything):.1%}**, "
            f"false money flows **{false_money_rate(everything):.1%}**.\n\n")
    return everything, head + "\n".join(lines), figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("heldout", nargs="*")
    parser.add_argument("--real", type=Path, help="labels.tsv of the real dev set")
    parser.add_argument("--model", default="models/aftersales.tar.gz")
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    parser.add_argument("--max-false-money", type=float, default=1.0)
    parser.add_argument("--report")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.real:
        rows, text, figures = evaluate_real(args.model, args.real)
    else:
        rows, text, figures = evaluate_heldout(args.model, args.heldout)
    print(text)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(text, encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = False
    if accuracy(rows) < args.min_accuracy:
        print(f"FAILED: intent accuracy {accuracy(rows):.1%} is below {args.min_accuracy:.0%}", file=sys.stderr)
        failed = True
    if false_money_rate(rows) > args.max_false_money:
        print(f"FAILED: false money-flow rate {false_money_rate(rows):.1%} is above {args.max_false_money:.0%}",
              file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
