"""Figures for the lessons, each with a text description for screen readers.

Every figure function takes a table the lesson has already built, returns a matplotlib
:class:`~matplotlib.figure.Figure` with a title and labelled axes, and stores a plain-words
description of what the figure shows as the figure's label (:func:`describe` reads it).
:func:`show` displays a figure in a notebook as an image carrying that description as its
``alt`` text, followed by the description itself as a visible caption::

    fig = timeline(events)
    show(fig)

Colours come from the Okabe-Ito palette (safe for colour-blind readers), and colour is never
the only cue: horizons also differ by marker shape, verdicts by hatching and printed counts.
The functions compute nothing a graded exercise asks for: they draw what they are given.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from korea_nato.data import drivers

__all__ = [
    "DRIVER_COLOURS",
    "VERDICT_LABELS",
    "describe",
    "evidence_span_chart",
    "figure_bundle",
    "scorecard_chart",
    "show",
    "timeline",
]

#: Driver codes in display order: short-term, long-term, then the thesis itself.
DRIVER_ORDER = ("S1", "S2", "L1", "L2", "L3", "L4", "T")

#: One Okabe-Ito colour per driver code.
DRIVER_COLOURS = {
    "S1": "#D55E00",
    "S2": "#E69F00",
    "L1": "#0072B2",
    "L2": "#56B4E9",
    "L3": "#CC79A7",
    "L4": "#009E73",
    "T": "#000000",
}

#: Marker shape per horizon, so that horizons never differ by colour alone.
HORIZON_MARKERS = {"short-term": "o", "long-term": "s", "thesis": "D"}

#: Verdict codes (as in the fact sheet) and the words shown for them, in display order.
VERDICT_LABELS = {"SUP": "supports", "COMP": "complicates", "WEAK": "weakens"}
_VERDICT_STYLE = {
    "SUP": {"color": "#009E73", "hatch": ""},
    "COMP": {"color": "#F0E442", "hatch": "//"},
    "WEAK": {"color": "#D55E00", "hatch": "xx"},
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _driver_table() -> dict[str, tuple[str, str]]:
    """Map each driver code to (name, horizon); ``T`` is the thesis itself."""
    table = {row.driver_id: (row.name, row.horizon) for row in drivers().itertuples(index=False)}
    table["T"] = ("The partnership itself", "thesis")
    return table


def _driver_label(code: str, table: dict[str, tuple[str, str]]) -> str:
    name, horizon = table.get(code, (code, "unknown"))
    return f"{code} {name} ({horizon})"


def _require_columns(frame: object, columns: list[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {columns}; missing {missing}")


def _require_dates(series: pd.Series, what: str) -> None:
    if not pd.api.types.is_datetime64_any_dtype(series):
        raise TypeError(
            f"{what} must hold dates (datetime64); got dtype {series.dtype}. "
            "Convert it with pd.to_datetime first."
        )


def _require_known_drivers(codes, what: str) -> None:
    unknown = sorted(set(codes) - set(DRIVER_ORDER))
    if unknown:
        raise ValueError(f"{what} has unknown driver codes {unknown}; known codes are {list(DRIVER_ORDER)}")


def _month(date: pd.Timestamp) -> str:
    return pd.Timestamp(date).strftime("%b %Y")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _length(days: int) -> str:
    """A span in words: days below a year, years (one decimal) above."""
    return f"{days / 365.25:.1f} years" if days >= 365 else _count(days, "day")


_FIRST_DAY_NOTE = (
    " Dates known only to the year or the month are drawn on the first day of that year or month."
)


def _timeline_title(published: pd.Timestamp | None, later: int) -> str:
    """Name what the timeline plots: events after the op-ed are not evidence it relies on."""
    if published is None:
        return "Events by driver"
    if later == 0:
        return "Events the op-ed relies on, by driver"
    return f"Events by driver: the op-ed's evidence and {_count(later, 'later event')}"


def _finish(fig: Figure, description: str) -> Figure:
    fig.set_label(description)
    return fig


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def timeline(events: pd.DataFrame, *, published: pd.Timestamp | str | None = None) -> Figure:
    """A timeline of events, one row per driver, coloured by driver and shaped by horizon.

    ``events`` needs a ``date`` column (datetime64) and a ``driver`` column (codes of
    :data:`DRIVER_ORDER`); rows without a driver are left out. The left panel shows the whole
    range; the right panel zooms in on the calendar year of the latest event, where the
    evidence crowds together. ``published`` (optional) draws a dashed line for the op-ed.
    """
    _require_columns(events, ["date", "driver"], "events")
    _require_dates(events["date"], "events['date']")
    dated = events.dropna(subset=["date", "driver"])
    if dated.empty:
        raise ValueError("events has no row with both a date and a driver; nothing to draw")
    _require_known_drivers(dated["driver"], "events['driver']")
    published = None if published is None else pd.Timestamp(published)

    table = _driver_table()
    codes = [c for c in DRIVER_ORDER if c in set(dated["driver"])]
    rows = {code: len(codes) - i for i, code in enumerate(codes)}  # first code on top
    zoom_start = pd.Timestamp(dated["date"].max().year, 1, 1)
    zoom_end = max(dated["date"].max(), published or dated["date"].max()) + pd.Timedelta(days=20)

    fig = Figure(figsize=(12, 5.2), layout="constrained")
    overview, zoom = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1.6])
    for ax in (overview, zoom):
        for code in codes:
            subset = dated[dated["driver"] == code]
            horizon = table.get(code, (code, "thesis"))[1]
            ax.scatter(
                subset["date"],
                [rows[code]] * len(subset),
                s=70,
                color=DRIVER_COLOURS[code],
                marker=HORIZON_MARKERS.get(horizon, "o"),
                edgecolor="black",
                linewidth=0.6,
                zorder=3,
                label=_driver_label(code, table),
            )
        if published is not None:
            ax.axvline(published, color="black", linestyle="--", linewidth=1)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("Date of the event")
    overview.set_yticks(list(rows.values()), [_driver_label(c, table) for c in rows])
    overview.set_ylabel("Driver (horizon)")
    overview.set_ylim(0.4, len(codes) + 0.6)
    overview.set_title("All events")
    overview.xaxis.set_major_locator(mdates.YearLocator(base=5))
    overview.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    zoom.set_xlim(zoom_start - pd.Timedelta(days=10), zoom_end)
    zoom.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 2)))
    zoom.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    zoom.set_title(f"Zoom: {zoom_start.year} onwards")
    if published is not None:
        zoom.annotate(
            "op-ed published",
            (published, len(codes) + 0.35),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            fontsize=9,
        )
    later = 0 if published is None else int((dated["date"] > published).sum())
    fig.suptitle(_timeline_title(published, later), fontsize=13, fontweight="bold")

    in_zoom = dated[dated["date"] >= zoom_start]
    per_driver = "; ".join(
        f"{code}: {_count(int((dated['driver'] == code).sum()), 'event')}, "
        f"{_month(dated.loc[dated['driver'] == code, 'date'].min())} to "
        f"{_month(dated.loc[dated['driver'] == code, 'date'].max())}"
        for code in codes
    )
    first, last = _month(dated["date"].min()), _month(dated["date"].max())
    description = (
        f"Timeline of {len(dated)} events from {first} to {last}, one row per driver; short-term "
        "drivers are circles, long-term drivers squares, the thesis diamonds. "
        f"{len(in_zoom)} of the {len(dated)} events fall in {zoom_start.year} or later (right panel). "
        f"By driver: {per_driver}."
    )
    if published is not None:
        description += f" A dashed line marks the op-ed's publication, {_month(published)}"
        description += f"; {_count(later, 'event')} to its right came after it." if later else "."
    description += _FIRST_DAY_NOTE
    return _finish(fig, description)


def evidence_span_chart(spans: pd.DataFrame) -> Figure:
    """One bar per driver from its earliest to its latest supporting event.

    ``spans`` has the driver codes as its index and two datetime columns, ``earliest`` and
    ``latest`` (the shape ``events.groupby("driver")["date"].agg(earliest="min", latest="max")``
    gives). Each bar is labelled with its dates and its length.
    """
    _require_columns(spans, ["earliest", "latest"], "spans")
    _require_dates(spans["earliest"], "spans['earliest']")
    _require_dates(spans["latest"], "spans['latest']")
    if spans.empty:
        raise ValueError("spans is empty; nothing to draw")
    _require_known_drivers(spans.index, "the index of spans")
    if (spans["earliest"] > spans["latest"]).any():
        raise ValueError("spans has a row whose earliest date comes after its latest date")

    table = _driver_table()
    codes = [c for c in DRIVER_ORDER if c in set(spans.index)]
    fig = Figure(figsize=(11, 0.7 * len(codes) + 1.8), layout="constrained")
    ax = fig.subplots()
    lengths = {}
    for i, code in enumerate(codes):
        start, end = pd.Timestamp(spans.loc[code, "earliest"]), pd.Timestamp(spans.loc[code, "latest"])
        y = len(codes) - i
        days = (end - start).days
        lengths[code] = days
        horizon = table.get(code, (code, "thesis"))[1]
        ax.barh(
            y,
            max(days, 1),
            left=start,
            height=0.5,
            color=DRIVER_COLOURS[code],
            edgecolor="black",
            hatch="" if horizon == "long-term" else "..",
        )
        ax.plot(
            [start, end],
            [y, y],
            marker=HORIZON_MARKERS.get(horizon, "o"),
            color="black",
            linestyle="none",
            markersize=6,
        )
        ax.annotate(
            f"{_month(start)} to {_month(end)} ({_length(days)})",
            (end, y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    ax.set_yticks(range(len(codes), 0, -1), [_driver_label(c, table) for c in codes])
    ax.set_ylim(0.4, len(codes) + 0.6)
    ax.xaxis.set_major_locator(mdates.YearLocator(base=5))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    earliest, latest = spans["earliest"].min(), spans["latest"].max()
    ax.set_xlim(earliest - pd.Timedelta(days=365), latest + pd.Timedelta(days=365 * 14))  # room for labels
    ax.set_xlabel("Date of the supporting events (bar: earliest to latest)")
    ax.set_ylabel("Driver (horizon)")
    ax.set_title("Evidence span of each driver: how far back its evidence reaches", fontweight="bold")
    ax.grid(axis="x", alpha=0.3)

    shortest_long = min(
        (c for c in codes if table.get(c, ("", ""))[1] == "long-term"), key=lambda c: lengths[c], default=None
    )
    description = (
        "Horizontal bar chart of each driver's evidence span. "
        + "; ".join(
            f"{code} from {_month(spans.loc[code, 'earliest'])} to {_month(spans.loc[code, 'latest'])} "
            f"({_length(lengths[code])})"
            for code in codes
        )
        + "."
    )
    if shortest_long is not None:
        description += f" The shortest span among the long-term drivers is {shortest_long}'s."
    description += _FIRST_DAY_NOTE
    return _finish(fig, description)


def scorecard_chart(scorecard: pd.DataFrame) -> Figure:
    """Stacked bars: how many later events support, complicate or weaken each driver.

    ``scorecard`` has one row per driver code (the index) and one column per verdict code
    (``SUP``, ``COMP``, ``WEAK``; missing columns count as zero) holding event counts, as
    ``pd.crosstab(coding["driver"], coding["verdict"])`` gives.
    """
    if not isinstance(scorecard, pd.DataFrame):
        raise TypeError(f"scorecard must be a pandas DataFrame; got {type(scorecard).__name__}")
    unknown = sorted(set(map(str, scorecard.columns)) - set(VERDICT_LABELS))
    if unknown:
        raise ValueError(f"scorecard has unknown verdict columns {unknown}; use {list(VERDICT_LABELS)}")
    if scorecard.empty:
        raise ValueError("scorecard is empty; nothing to draw")
    _require_known_drivers(scorecard.index, "the index of scorecard")
    counts = scorecard.reindex(columns=list(VERDICT_LABELS), fill_value=0)
    if not all(pd.api.types.is_integer_dtype(counts[c]) for c in counts.columns) or (counts < 0).any().any():
        raise ValueError("scorecard must hold whole, non-negative counts of events")

    table = _driver_table()
    codes = [c for c in DRIVER_ORDER if c in set(counts.index)]
    fig = Figure(figsize=(10, 0.6 * len(codes) + 2), layout="constrained")
    ax = fig.subplots()
    ys = range(len(codes), 0, -1)
    left = [0] * len(codes)
    for verdict, words in VERDICT_LABELS.items():
        values = [int(counts.loc[c, verdict]) for c in codes]
        bars = ax.barh(
            list(ys), values, left=left, height=0.6, label=words, edgecolor="black", **_VERDICT_STYLE[verdict]
        )
        ax.bar_label(
            bars,
            labels=[str(v) if v else "" for v in values],
            label_type="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85},
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(list(ys), [_driver_label(c, table) for c in codes])
    ax.set_xlabel("Number of later events")
    ax.set_ylabel("Driver (horizon)")
    for code, y, total in zip(codes, ys, left, strict=True):
        # The verdicts in words beside each bar, so that no reader depends on colour or hatching.
        words = ", ".join(
            f"{int(counts.loc[code, v])} {w}" for v, w in VERDICT_LABELS.items() if counts.loc[code, v]
        )
        ax.annotate(
            words or "no later events",
            (total, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            fontstyle="normal" if words else "italic",
        )
    ax.set_xlim(0, max(left) * 1.6 + 1)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Did it hold? Later events per driver, by verdict", fontweight="bold")
    ax.legend(title="Verdict", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="x", alpha=0.3)

    description = (
        "Stacked bar chart of later events per driver, by verdict. "
        + "; ".join(
            f"{code}: " + ", ".join(f"{int(counts.loc[code, v])} {w}" for v, w in VERDICT_LABELS.items())
            for code in codes
        )
        + "."
    )
    return _finish(fig, description)


# --------------------------------------------------------------------------------------------
# Display with alt text
# --------------------------------------------------------------------------------------------


def describe(fig: Figure) -> str:
    """The text description stored on a figure made by this module."""
    if not isinstance(fig, Figure):
        raise TypeError(f"describe() needs a matplotlib Figure; got {type(fig).__name__}")
    description = fig.get_label()
    if not description:
        raise ValueError("this figure carries no description; make it with a korea_nato.figures function")
    return description


def _title(fig: Figure) -> str:
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    return suptitle or next((ax.get_title() for ax in fig.axes if ax.get_title()), "Figure")


def figure_bundle(fig: Figure) -> tuple[dict, dict]:
    """The display data and metadata :func:`show` emits: a PNG with alt text, and HTML."""
    description = describe(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Title": _title(fig), "Description": description})
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = html.escape(f"{_title(fig)}. {description}", quote=True)
    data = {
        "image/png": png,
        "text/html": f'<img src="data:image/png;base64,{png}" alt="{alt}" style="max-width:100%">',
        "text/plain": f"[Figure] {_title(fig)}. {description}",
    }
    return data, {"image/png": {"alt": f"{_title(fig)}. {description}"}}


def show(fig: Figure) -> None:
    """Display ``fig`` as an image with alt text, then its description as a visible caption."""
    from IPython.display import Markdown, display

    data, metadata = figure_bundle(fig)
    display(data, metadata=metadata, raw=True)
    display(Markdown(f"*Figure description.* {html.escape(describe(fig), quote=False)}"))
