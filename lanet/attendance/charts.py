"""Charts of the totals as PNG images, for the dashboard and the summary emails.

matplotlib's object API with the Agg canvas: no pyplot global state, so web threads and
workers can draw at the same time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

NETWORK_RED = "#8a1c1c"
INSTRUCTOR_GREY = "#5a6670"
INK = "#1f2a33"


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _style(axes, title: str) -> None:
    axes.set_title(title, loc="left", fontsize=12, color=INK, fontweight="bold")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=9)


def bar_by_country(
    labels: Sequence[str],
    participants: Sequence[int],
    instructors: Sequence[int],
    *,
    title: str,
    participants_label: str,
    instructors_label: str,
) -> bytes:
    """Horizontal bars, largest country on top: long country names stay readable."""
    height = max(2.5, 0.35 * len(labels) + 1.2)
    figure = Figure(figsize=(7, height))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, participants, color=NETWORK_RED, label=participants_label)
    axes.barh(
        positions, instructors, left=participants, color=INSTRUCTOR_GREY, label=instructors_label
    )
    axes.set_yticks(positions, labels)
    for position, p, i in zip(positions, participants, instructors, strict=True):
        axes.text(p + i + 0.2, position, str(p + i), va="center", fontsize=8, color=INK)
    _style(axes, title)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if labels:
        axes.legend(frameon=False, fontsize=9, loc="lower right")
    return _png(figure)


def line_by_year(
    years: Sequence[int],
    participants: Sequence[int],
    instructors: Sequence[int],
    *,
    title: str,
    participants_label: str,
    instructors_label: str,
) -> bytes:
    figure = Figure(figsize=(7, 3.2))
    axes = figure.add_subplot()
    axes.plot(years, participants, marker="o", color=NETWORK_RED, label=participants_label)
    axes.plot(years, instructors, marker="s", color=INSTRUCTOR_GREY, label=instructors_label)
    for year, value in zip(years, participants, strict=True):
        axes.annotate(
            str(value),
            (year, value),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
            color=INK,
        )
    axes.set_xticks(list(years), [str(y) for y in years])
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _style(axes, title)
    if years:
        axes.legend(frameon=False, fontsize=9, loc="upper left")
    return _png(figure)
