"""Lesson figures have titles, labelled axes and a text description, and refuse malformed tables clearly."""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from matplotlib.figure import Figure

from korea_nato.figures import (
    describe,
    evidence_span_chart,
    figure_bundle,
    scorecard_chart,
    show,
    timeline,
)


@pytest.fixture
def events():
    """A small event table shaped like the one lesson 04 builds (dates already converted)."""
    return pd.DataFrame(
        {
            "event_id": ["E01", "E05", "E12", "E19", "E20", "E21"],
            "date": pd.to_datetime(
                ["1991-01-01", "2022-02-24", "2022-07-19", "2022-11-01", "2022-11-08", "2022-11-22"]
            ),
            "driver": ["L1", "S1", "L3", "L3", None, "T"],
        }
    )


@pytest.fixture
def spans():
    return pd.DataFrame(
        {
            "earliest": pd.to_datetime(["1991-01-01", "2022-07-19", "2022-08-04"]),
            "latest": pd.to_datetime(["2022-06-29", "2022-11-01", "2022-08-04"]),
        },
        index=pd.Index(["L1", "L3", "S2"], name="driver"),
    )


@pytest.fixture
def scorecard():
    return pd.DataFrame(
        {"COMP": [0, 1, 2], "SUP": [5, 1, 0], "WEAK": [0, 2, 0]},
        index=pd.Index(["L2", "L3", "S1"], name="driver"),
    )


def assert_titled_and_labelled(fig):
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() or all(ax.get_title() for ax in fig.axes)
    for ax in fig.axes:
        assert ax.get_xlabel(), "every axis needs an x label"
    assert any(ax.get_ylabel() for ax in fig.axes)


def test_timeline_is_titled_labelled_and_described(events):
    fig = timeline(events, published="2022-11-08")
    assert_titled_and_labelled(fig)
    text = describe(fig)
    assert text.startswith("Timeline of 5 events from Jan 1991 to Nov 2022")
    assert "L3: 2 events, Jul 2022 to Nov 2022" in text and "L1: 1 event," in text
    assert "4 of the 5 events fall in 2022 or later" in text
    assert "dashed line marks the op-ed's publication, Nov 2022" in text


def test_timeline_title_and_description_count_events_after_the_op_ed_apart(events):
    fig = timeline(events, published="2022-11-08")
    assert fig.get_suptitle() == "Events by driver: the op-ed's evidence and 1 later event"
    assert "Nov 2022; 1 event to its right came after it." in describe(fig)


def test_timeline_of_events_before_the_op_ed_says_the_op_ed_relies_on_them(events):
    before = events[events["date"] <= pd.Timestamp("2022-11-08")]
    fig = timeline(before, published="2022-11-08")
    assert fig.get_suptitle() == "Events the op-ed relies on, by driver"
    assert "came after it" not in describe(fig)
    assert timeline(events).get_suptitle() == "Events by driver"


def test_timeline_has_one_labelled_row_per_driver_with_its_horizon(events):
    overview = timeline(events).axes[0]
    labels = [tick.get_text() for tick in overview.get_yticklabels()]
    assert labels == [
        "S1 Russia's invasion of Ukraine (short-term)",
        "L1 A global US-Korea alliance (long-term)",
        "L3 Shared values (long-term)",
        "T The partnership itself (thesis)",
    ]


def test_timeline_leaves_out_rows_without_a_driver(events):
    assert "5 events" in describe(timeline(events))
    assert "6 events" not in describe(timeline(events))


def test_evidence_span_chart_is_titled_labelled_and_names_the_shortest_long_term_span(spans):
    fig = evidence_span_chart(spans)
    assert_titled_and_labelled(fig)
    text = describe(fig)
    assert "L3 from Jul 2022 to Nov 2022 (105 days)" in text
    assert "L1 from Jan 1991 to Jun 2022 (31.5 years)" in text
    assert "The shortest span among the long-term drivers is L3's." in text


def test_evidence_span_chart_labels_each_bar_with_its_dates(spans):
    ax = evidence_span_chart(spans).axes[0]
    annotations = [text.get_text() for text in ax.texts]
    assert "Aug 2022 to Aug 2022 (0 days)" in annotations


def test_scorecard_chart_is_titled_labelled_and_counts_every_verdict_in_words(scorecard):
    fig = scorecard_chart(scorecard)
    assert_titled_and_labelled(fig)
    # Drivers come in the argument's order (short-term first), not in the table's order.
    assert describe(fig).endswith(
        "S1: 0 supports, 2 complicates, 0 weakens; L2: 5 supports, 0 complicates, 0 weakens; "
        "L3: 1 supports, 1 complicates, 2 weakens."
    )
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["supports", "complicates", "weakens"]


def test_scorecard_chart_accepts_missing_verdict_columns_as_zero():
    only_support = pd.DataFrame({"SUP": [2]}, index=["L4"])
    assert "L4: 2 supports, 0 complicates, 0 weakens" in describe(scorecard_chart(only_support))


def test_the_display_bundle_carries_the_description_as_alt_text(spans):
    fig = evidence_span_chart(spans)
    data, metadata = figure_bundle(fig)
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    alt = metadata["image/png"]["alt"]
    assert alt.startswith("Evidence span of each driver") and describe(fig) in alt
    assert 'alt="Evidence span of each driver' in data["text/html"]
    assert data["text/plain"].startswith("[Figure] Evidence span")


def test_show_displays_the_image_and_a_visible_caption(spans, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: shown.append((args, kwargs)))
    show(evidence_span_chart(spans))
    (image_args, image_kwargs), (caption_args, _) = shown
    assert "image/png" in image_args[0] and image_kwargs["metadata"]["image/png"]["alt"]
    assert caption_args[0].data.startswith("*Figure description.* Horizontal bar chart")


def test_describe_refuses_a_figure_without_a_description():
    with pytest.raises(ValueError, match="carries no description"):
        describe(Figure())
    with pytest.raises(TypeError, match="needs a matplotlib Figure"):
        describe("a figure")


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (pd.DataFrame({"date": pd.to_datetime(["2022-01-01"])}), ValueError, "missing \\['driver'\\]"),
        (pd.DataFrame({"date": ["24 Feb 2022"], "driver": ["S1"]}), TypeError, "pd.to_datetime"),
        (pd.DataFrame({"date": pd.to_datetime(["2022-01-01"]), "driver": ["X9"]}), ValueError, "unknown driver"),
        (pd.DataFrame({"date": pd.to_datetime(["2022-01-01"]), "driver": [None]}), ValueError, "nothing to draw"),
        ([("E05", "2022-02-24", "S1")], TypeError, "must be a pandas DataFrame"),
    ],
)
def test_timeline_refuses_malformed_events_with_a_clear_message(frame, error, message):
    with pytest.raises(error, match=message):
        timeline(frame)


def test_evidence_span_chart_refuses_spans_that_run_backwards(spans):
    backwards = spans.assign(earliest=spans["latest"], latest=spans["earliest"])
    with pytest.raises(ValueError, match="earliest date comes after its latest"):
        evidence_span_chart(backwards)
    with pytest.raises(ValueError, match="missing \\['latest'\\]"):
        evidence_span_chart(spans[["earliest"]])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"supports": [1]}, index=["L2"]), "unknown verdict columns \\['supports'\\]"),
        (pd.DataFrame({"SUP": [1.5]}, index=["L2"]), "whole, non-negative counts"),
        (pd.DataFrame({"SUP": [-1]}, index=["L2"]), "whole, non-negative counts"),
        (pd.DataFrame({"SUP": [1]}, index=["Values"]), "unknown driver codes"),
    ],
)
def test_scorecard_chart_refuses_malformed_scorecards(frame, message):
    with pytest.raises(ValueError, match=message):
        scorecard_chart(frame)


def words_beside_bars(fig):
    """The chart's texts that are words (the counts inside the bars are bare numbers)."""
    return [text.get_text() for text in fig.axes[0].texts if any(c.isalpha() for c in text.get_text())]


def test_scorecard_chart_writes_the_verdicts_in_words_beside_each_bar(scorecard):
    beside = words_beside_bars(scorecard_chart(scorecard))
    assert beside == ["2 complicates", "5 supports", "1 supports, 1 complicates, 2 weakens"]


def test_scorecard_chart_says_so_when_a_driver_has_no_later_event():
    empty_row = pd.DataFrame({"SUP": [0, 2]}, index=["S2", "L4"])
    beside = words_beside_bars(scorecard_chart(empty_row))
    assert beside == ["no later events", "2 supports"]
