"""The evaluation report: markdown tables and confusion-matrix pictures (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from sklearn.metrics import confusion_matrix

from bot.nlu.evaluate import ClassScore, Scores, headline

TARGETS = {"L1 accuracy": 0.90, "L1 macro-F1": 0.85, "appeal-type macro-F1": 0.75}


def _cjk_font() -> str | None:
    """An installed font with Chinese glyphs (Noto CJK, WenQuanYi, …), or None."""
    for font in font_manager.fontManager.ttflist:
        if any(key in font.name for key in ("CJK SC", "CJK", "WenQuanYi", "SimHei", "Source Han")):
            return str(font.name)
    return None


def confusion_png(scores: Scores, path: Path, title: str) -> None:
    labels = scores.l1_labels
    matrix = confusion_matrix(scores.l1_gold, scores.l1_pred, labels=labels)
    font = _cjk_font()
    names = labels if font else [str(i + 1) for i in range(len(labels))]
    size = max(6.0, 0.55 * len(labels) + 3)
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(size, size * 0.9))
        rows = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, rows, out=np.zeros(matrix.shape, dtype=float), where=rows > 0)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), names, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(title)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if matrix[i, j]:
                    color = "white" if shares[i, j] > 0.5 else "black"
                    ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def _class_table(rows: list[ClassScore]) -> list[str]:
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r.label} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.support} |" for r in rows]
    return lines


def _confused_table(pairs: list[tuple[str, str, int]]) -> list[str]:
    if not pairs:
        return ["(none)"]
    lines = ["| gold | predicted | count |", "|---|---|---:|"]
    lines += [f"| {g} | {p} | {n} |" for g, p, n in pairs]
    return lines


def _section(scores: Scores, picture: str | None) -> list[str]:
    lines = [
        f"## {scores.name}",
        "",
        f"{scores.n_messages} messages, of which {scores.n_appeals} appeals.",
        "",
    ]
    if picture:
        lines += [f"![first-level confusion matrix]({picture})", ""]
    lines += ["### First level (per class)", "", *_class_table(scores.l1_classes), ""]
    lines += ["### Appeal type (per class)", "", *_class_table(scores.type_classes), ""]
    lines += ["### Intent (per class)", "", *_class_table(scores.intent_classes), ""]
    lines += ["### Most confused first-level pairs", "", *_confused_table(scores.l1_confused), ""]
    lines += ["### Most confused leaves", "", *_confused_table(scores.leaf_confused), ""]
    lines += ["### Most confused intents", "", *_confused_table(scores.intent_confused), ""]
    return lines


def write_report(out_dir: Path, sections: list[Scores], notes: list[str]) -> Path:
    """Writes ``report.md`` and one confusion PNG per section under ``out_dir``; returns the markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [s.name for s in sections]
    lines = ["# NLU evaluation", "", *notes, "", "## Summary", ""]
    lines += ["| figure | " + " | ".join(names) + " | target |", "|---|" + "---:|" * (len(names) + 1)]
    figures = [headline(s) for s in sections]
    for key in figures[0] if figures else {}:
        target = TARGETS.get(key)
        cells = " | ".join(_fmt(f[key]) for f in figures)
        lines.append(f"| {key} | {cells} | {'≥ ' + format(target, '.2f') if target else ''} |")
    lines.append("")
    for index, scores in enumerate(sections):
        picture = None
        if scores.l1_gold:
            picture = f"confusion_l1_{index + 1}.png"
            confusion_png(scores, out_dir / picture, f"{scores.name}: first level")
        lines += _section(scores, picture)
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
