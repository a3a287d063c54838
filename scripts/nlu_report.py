"""Writes reports/nlu.md (and reports/nlu-confusion.png): the NLU measured on real shoppers' lines and
on our own held-out phrasings, engine against engine (runs in the bot runtime).

    .venv-bot/bin/python scripts/nlu_report.py [--engines linear,rasa_lr,diet] [--out reports/nlu.md]

Each engine is the bot's pipeline (config.yml) with its classifier and FAQ selector swapped, trained
NLU-only from an empty cache on the same data/, then asked every line of the real dev set (open and
sealed part apart) and every held-out phrasing, twice: the first pass warms up, the second is timed.
No real line is printed: the report names intents and counts only (the lines are research-licensed).
`diet` is the landed pipeline before the engine change (~16 minutes of training on 2 cores)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT / "scripts"))
sys.path.insert(1, str(ROOT))

from evaluate_nlu import (  # noqa: E402
    MONEY_INTENTS,
    Row,
    accuracy,
    agent_for,
    classify,
    false_money_rate,
    real_examples,
)
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

LABELS = ROOT / "tests" / "nlu" / "real" / "labels.tsv"
# Our own held-out sets: the ones that guided training-data work, and the sealed ones (reported as totals).
HELDOUT = {f"own {language}{' sealed' if sealed else ''}":
           [p for p in sorted((ROOT / "tests" / "nlu").glob(f"heldout_{language}*.yml"))
            if ("sealed" in p.name) == sealed]
           for language in ("zh", "en") for sealed in (False, True)}
GATES = {"real": 0.0, "zh": 0.0, "en": 0.0}  # filled from the Makefile, so the report states what CI holds

_DIET = [
    {"name": "RegexFeaturizer"},
    {"name": "CountVectorsFeaturizer", "min_ngram": 1, "max_ngram": 2},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
    {"name": "DIETClassifier", "epochs": 120, "entity_recognition": False, "constrain_similarities": True,
     "random_seed": 2611},
]
_COUNTS_LR = [
    {"name": "CountVectorsFeaturizer", "min_ngram": 1, "max_ngram": 2},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "LogisticRegressionClassifier", "max_iter": 1000},
]
_DIET_SELECTOR = {"name": "bot_extensions.nlu.QuestionResponseSelector", "epochs": 60, "retrieval_intent": "faq",
                  "random_seed": 2611}
ENGINES = {
    "linear": ("TF-IDF word + char n-grams → logistic regression (ours, the bot's)", None, None),
    "rasa_lr": ("Rasa's CountVectors → LogisticRegressionClassifier", _COUNTS_LR, None),
    "diet": ("DIET + ResponseSelector (the pipeline before the engine change)", _DIET, _DIET_SELECTOR),
}


def pipeline_config(engine: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    _, classifier, selector = ENGINES[engine]
    if classifier is None:
        return config
    swapped = []
    for component in config["pipeline"]:
        if component["name"].endswith("LinearIntentClassifier"):
            swapped += copy.deepcopy(classifier)
        elif component["name"].endswith("LinearAnswerSelector") and selector is not None:
            swapped.append(dict(selector))
        else:
            swapped.append(component)
    return {**config, "pipeline": swapped}


def train(engine: str, workdir: Path) -> tuple[Path, float]:
    config = workdir / f"{engine}.yml"
    config.write_text(yaml.safe_dump(pipeline_config(engine), allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(workdir / f"cache-{engine}")}  # an empty cache
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv-bot" / "bin" / "rasa"), "train", "nlu", "--config", str(config), "--nlu",
                    str(ROOT / "data"), "--domain", str(ROOT / "domain.yml"), "--out", str(workdir),
                    "--fixed-model-name", engine], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return workdir / f"{engine}.tar.gz", time.perf_counter() - started


def heldout_examples(name: str) -> list[tuple[str, str]]:
    return [(m.get("text"), m.get("intent")) for path in HELDOUT[name] for m in load_data(str(path)).intent_examples]


def parse_p50(model: str, texts: list[str]) -> float:
    agent = agent_for(model)

    async def timed() -> list[float]:
        timings = []
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    return statistics.median(asyncio.run(timed()))


def measure(model: Path) -> dict[str, Any]:
    parts = real_examples(LABELS)
    sets = {f"real {part}": [(text, intent) for _, text, intent in rows] for part, rows in parts.items()}
    sets |= {name: heldout_examples(name) for name in HELDOUT}
    rows = {name: asyncio.run(classify(str(model), examples)) for name, examples in sets.items()}
    texts = [text for examples in sets.values() for text, _ in examples]
    return {"rows": rows, "parse_p50_ms": parse_p50(str(model), texts)}


def recall(rows: list[Row], intent: str) -> str:
    of_intent = [p for _, e, p, _ in rows if e == intent]
    return f"{sum(p == intent for p in of_intent)}/{len(of_intent)}" if of_intent else "–"


def per_intent_rows(rows: dict[str, list[Row]]) -> list[str]:
    names = sorted({e for part in rows.values() for _, e, _, _ in part},
                   key=lambda i: -sum(e == i for part in rows.values() for _, e, _, _ in part))
    header = "| intent | " + " | ".join(rows) + " |"
    lines = [header, "|---" * (len(rows) + 1) + "|"]
    for intent in names:
        cells = []
        for part in rows.values():
            of_intent = [p for _, e, p, _ in part if e == intent]
            cells.append(f"{sum(p == intent for p in of_intent) / len(of_intent):.0%} of {len(of_intent)}"
                         if of_intent else "–")
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    return lines


def confusion_picture(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({e for _, e, _, _ in rows} | {p for _, _, p, _ in rows})
    index = {name: i for i, name in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for _, expected, predicted, _ in rows:
        counts[index[expected]][index[predicted]] += 1
    shares = [[c / max(sum(row), 1) for c in row] for row in counts]
    figure, axes = plt.subplots(figsize=(11, 10))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), [f"{name} ({sum(counts[index[name]])})" for name in labels], fontsize=8)
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=6,
                          color="white" if shares[i][j] > 0.5 else "black")
    axes.set_xlabel("read as")
    axes.set_ylabel("labelled (lines)")
    axes.set_title("Real shoppers' lines (open + sealed), the bot's NLU: share of each row")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write(results: dict[str, dict[str, Any]], out: Path) -> None:
    bot = results["linear"]["rows"]
    real_all = bot["real open"] + bot["real sealed"]
    picture = out.with_name("nlu-confusion.png")
    confusion_picture(real_all, picture)
    lines = [
        "# NLU quality: real shoppers and our own held-out phrasings",
        "",
        f"Made by `make nlu-report` (scripts/nlu_report.py) on {time.strftime('%Y-%m-%d')}, 2 cores. "
        "Real shoppers: 1,800 lines of `../shared/data/jddc-dev/` (JDDC 2019, JD.com after-sales chats), "
        "labelled by us against the intent contract ([labelling guide](../docs/labelling-guide.md)); a fifth "
        "is sealed (never looked at line by line, never tuned on). Own held-out sets: `tests/nlu/heldout_*.yml`, "
        "never trained on. Out-of-scope lines read as `nlu_fallback` count as right (the same answer). "
        "False money flows: lines that ask for no cancellation, refund, return or interception, read as one "
        "of those four.",
        "",
        "## The bot's NLU",
        "",
        "| set | lines | intent accuracy | false money flows | out-of-scope recall | gate in `make test` |",
        "|---|---|---|---|---|---|",
    ]
    gate = {"real open": f"all real ≥ {GATES['real']:.0%}, false money ≤ 2 %", "real sealed": "(with the line above)",
            "own zh": f"all zh ≥ {GATES['zh']:.0%}", "own zh sealed": "(with the line above)",
            "own en": f"all en ≥ {GATES['en']:.0%}", "own en sealed": "(with the line above)"}
    for name, rows in bot.items():
        lines.append(f"| {name} | {len(rows)} | **{accuracy(rows):.1%}** | {false_money_rate(rows):.1%} | "
                     f"{recall(rows, 'out_of_scope')} | {gate[name]} |")
    lines += ["", "## Engines, on the same data and the same sets", "",
              "| engine | training (NLU, empty cache) | parse p50 | real open | real sealed | own zh (sealed) | "
              "own en (sealed) | false money (real) |", "|---|---|---|---|---|---|---|---|"]
    for engine, result in results.items():
        rows = result["rows"]
        lines.append(f"| {ENGINES[engine][0]} | {result['seconds']:.0f} s | {result['parse_p50_ms']:.1f} ms | "
                     f"{accuracy(rows['real open']):.1%} | {accuracy(rows['real sealed']):.1%} | "
                     f"{accuracy(rows['own zh']):.1%} ({accuracy(rows['own zh sealed']):.1%}) | "
                     f"{accuracy(rows['own en']):.1%} ({accuracy(rows['own en sealed']):.1%}) | "
                     f"{false_money_rate(rows['real open'] + rows['real sealed']):.1%} |")
    lines += ["", "Parse p50: `Agent.parse_message` in process, one message at a time, after a warm-up pass "
              "(the server adds its HTTP and tracker work; `make bench` measures that).", "",
              "## Per intent (the bot's NLU; sealed sets as totals only)", "",
              *per_intent_rows({k: v for k, v in bot.items() if not k.startswith("own") or "sealed" not in k}), "",
              "## Where the real lines go wrong (open + sealed)", "",
              f"![confusion matrix]({picture.name})", "", "| labelled | read as | lines |", "|---|---|---|"]
    for (expected, predicted), n in Counter((e, p) for _, e, p, _ in real_all if e != p).most_common(20):
        lines.append(f"| {expected} | {predicted} | {n} |")
    money = [p for _, e, p, _ in real_all if e not in MONEY_INTENTS and p in MONEY_INTENTS]
    lines += ["", f"Real lines that ask for no money flow but were read as one: {len(money)} "
              f"({', '.join(f'{k} {v}' for k, v in Counter(money).most_common()) or 'none'})."]
    out.write_text("\n".join(lines) + "\n" + READING, encoding="utf-8")


READING = """
## Reading these figures

- DIET (`--engines …,diet`) is the pipeline before the engine change. On this round's data (about twice the
  examples) its training did not finish within 40 minutes on these 2 cores (the run shared the CPU with other
  work and was stopped); at the landed data size it took ~16 minutes, and the CEO's check found a TF-IDF
  logistic regression at least as accurate on every held-out set, the real one included. The choice rests
  on the two rows above and on that: real-line accuracy first, then a training time of seconds.

- The real lines are what shoppers send mid-conversation: most are short answers, acknowledgements
  and follow-ups, and a fifth is a clear ask the bot does not serve (product specs, stock, coupons,
  accounts, installation). Many lines say little on their own; the labelling guide gives them
  `nlu_fallback` (the bot asks), which the bot reaches either by its low-confidence rule or because the
  line reads like no request.
- The sealed part is the honest figure for lines we never looked at; the open part guided the training
  phrasings (written by us in the shoppers' style, never copied: a test keeps every real line out of
  `data/`).
- The money guard (bot_extensions.nlu.MoneyIntentGuard) trades a few real cancellations and returns,
  which then get a question with the likeliest readings as buttons, for no invoice or delivery-time
  question ever starting one.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="linear,rasa_lr,diet")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu.md")
    parser.add_argument("--gates", default="0.0,0.0,0.0", help="real,zh,en accuracy gates of make test")
    args = parser.parse_args()
    GATES.update(zip(("real", "zh", "en"), map(float, args.gates.split(",")), strict=True))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            model, seconds = train(engine, Path(tmp))
            results[engine] = {"seconds": seconds, **measure(model)}
            print(f"{engine}: trained in {seconds:.0f} s", flush=True)
    write(results, args.out)
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
