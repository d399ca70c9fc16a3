"""Tests of the paper's Table 1 and its Markdown rendering (sklearn_emotion.reporting)."""

from __future__ import annotations

import pytest

from sklearn_emotion.reporting import PAPER_TABLE_1, TABLE_COLUMNS, mediaeval_table

SCORES = {"Valence MSE": 0.12345, "Valence PCC": float("nan"), "Arousal MSE": 0.2, "Arousal PCC": -0.31}


def test_table_beside_a_reference():
    table = mediaeval_table({"Run 1": SCORES, "mine": SCORES}, reference=PAPER_TABLE_1)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| Run")
    assert "Valence MSE (ref.)" in lines[0]
    assert "0.1193" in lines[2] and "0.2911" in lines[2]
    assert "0.1235" in lines[2] and "nan" in lines[2] and "-0.3100" in lines[2]
    assert lines[3].count("|") == lines[0].count("|")  # 'mine' has no reference: empty cells
    assert len({len(line) for line in lines}) == 1  # aligned
    assert set(lines[1]) == {"|", "-", ":"}  # Markdown separator, numbers right-aligned


def test_plain_table_and_missing_scores():
    plain = mediaeval_table(PAPER_TABLE_1, digits=3)
    assert plain.splitlines()[0] == "| Run   | " + " | ".join(TABLE_COLUMNS) + " |"
    assert plain.splitlines()[0].count("|") == 6 and "0.084" in plain.splitlines()[-1]
    with pytest.raises(ValueError, match="lacks"):
        mediaeval_table({"Run 1": {"Valence MSE": 0.1}})


def test_paper_table_constant():
    assert PAPER_TABLE_1["Run 5"] == {
        "Valence MSE": 0.0837,
        "Valence PCC": 0.1786,
        "Arousal MSE": 0.1334,
        "Arousal PCC": 0.3358,
    }
    assert list(PAPER_TABLE_1) == [f"Run {i}" for i in range(1, 6)]
    assert all(list(row) == list(TABLE_COLUMNS) for row in PAPER_TABLE_1.values())


def test_per_movie_table_and_plot_title():
    from sklearn_emotion.reporting import per_movie_table, scores_title

    table = per_movie_table({"a": SCORES, "movie_b": SCORES}, {"a": {"Seconds": 90}, "movie_b": {"Seconds": 7}})
    lines = table.splitlines()
    assert lines[0].split("|")[1].strip() == "Movie" and lines[0].split("|")[-2].strip() == "Seconds"
    assert lines[2].startswith("| a       |") and lines[2].endswith(" 90 |") and "nan" in lines[3]
    assert len({len(line) for line in lines}) == 1
    assert per_movie_table({"a": SCORES}).splitlines()[0].count("|") == 6
    title = scores_title("a", "model.skops (paper)", SCORES)
    assert title == ("a - model.skops (paper)\nMSE: valence 0.1235, arousal 0.2000   "
                     "Pearson r: valence undefined, arousal -0.310")
