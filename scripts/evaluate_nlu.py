"""Intent accuracy of the trained model on held-out phrasings (runs in the bot runtime).

    .venv-bot/bin/python scripts/evaluate_nlu.py tests/nlu/heldout_*.yml --min-accuracy 0.93 \
        [--report reports/nlu-heldout.md]

Each set is reported on its own and all together; --min-accuracy applies to all together.

Retrieval intents count by their base name (faq/refund_time → faq), as the dialogue sees them.
For out_of_scope phrasings, nlu_fallback counts as right: both take the same path (clarify once,
then offer a human), and a rule could not tell them apart."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

import structlog
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.common import configure_logging_and_warnings

# The model names our own NLU component (bot_extensions.nlu); `rasa` finds it from the working
# directory, a script started from scripts/ does not.
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
configure_logging_and_warnings(logging.WARNING)
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


@functools.lru_cache(maxsize=1)
def agent_for(model: str) -> Agent:
    return Agent.load(model)


async def evaluate(model: str, path: str) -> tuple[list[tuple[str, str, str, float]], float]:
    agent = agent_for(model)
    data = load_data(path)
    rows = []
    for example in data.intent_examples:
        text, expected = example.get("text"), example.get("intent").split("/")[0]
        parsed = await agent.parse_message(text)
        predicted = parsed["intent"]["name"].split("/")[0]
        if expected == "out_of_scope" and predicted == "nlu_fallback":
            predicted = expected
        rows.append((text, expected, predicted, parsed["intent"]["confidence"]))
    accuracy = sum(e == p for _, e, p, _ in rows) / len(rows)
    return rows, accuracy


def report(rows: list[tuple[str, str, str, float]], accuracy: float, source: str) -> str:
    per_intent: dict[str, Counter] = defaultdict(Counter)
    for _, expected, predicted, _ in rows:
        per_intent[expected]["total"] += 1
        per_intent[expected]["correct"] += expected == predicted
    lines = [f"Held-out set: `{source}` — {len(rows)} phrasings, intent accuracy **{accuracy:.1%}**.", "",
             "| intent | phrasings | correct | accuracy |", "|---|---|---|---|"]
    for intent, c in sorted(per_intent.items()):
        lines.append(f"| {intent} | {c['total']} | {c['correct']} | {c['correct'] / c['total']:.0%} |")
    misses = [(t, e, p, c) for t, e, p, c in rows if e != p]
    lines += ["", f"Misclassified ({len(misses)}):", ""]
    lines += [f"- “{t}”: expected `{e}`, got `{p}` ({c:.2f})" for t, e, p, c in misses] or ["- none"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("heldout", nargs="+")
    parser.add_argument("--model", default="models/aftersales.tar.gz")
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    parser.add_argument("--report")
    args = parser.parse_args()
    sections, everything = [], []
    for path in args.heldout:
        rows, accuracy = asyncio.run(evaluate(args.model, path))
        everything += rows
        sections.append(report(rows, accuracy, path))
    overall = sum(e == p for _, e, p, _ in everything) / len(everything)
    text = (f"All held-out sets together: {len(everything)} phrasings, intent accuracy **{overall:.1%}**.\n\n"
            + "\n".join(sections))
    print(text)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(text, encoding="utf-8")
    if overall < args.min_accuracy:
        print(f"FAILED: held-out intent accuracy {overall:.1%} is below {args.min_accuracy:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
