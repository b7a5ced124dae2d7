"""The one CSV writer: the formula guard cell by cell, and the digest of a whole file."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from decimal import Decimal

import pytest
from django.utils.functional import lazy

from ipnb_notes import csvexport


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        ("\0=1+1", "'\0=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("＝1+1", "'＝1+1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-0.5, -0.5),
        (-3, -3),
        (Decimal("-1.25"), Decimal("-1.25")),
    ],
)
def test_a_cell_that_starts_a_formula_is_written_as_text(value, expected):
    assert csvexport.cell(value) == expected


def test_a_value_that_is_not_a_str_is_guarded_by_its_text():
    label = lazy(lambda: "=cmd|' /C calc'!A0", str)()
    assert not isinstance(label, str)
    assert csvexport.cell(label) == "'=cmd|' /C calc'!A0"
    assert csvexport.cell(True) == "True"


def test_the_header_is_guarded_like_the_rows():
    text = "".join(csvexport.lines(["=title", "ok"], [["@x", 2]]))
    assert list(csv.reader(io.StringIO(text))) == [["'=title", "ok"], ["'@x", "2"]]


def test_a_whole_file_carries_its_digest_and_a_streamed_one_none():
    response = csvexport.response("x.csv", ["a"], [["=1"], [2]])
    digest = hashlib.sha256(response.content).digest()
    assert response.content == b"a\r\n'=1\r\n2\r\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["X-Content-SHA256"] == digest.hex()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"

    streamed = csvexport.streaming_response("y.csv", ["a"], iter([["=1"]]))
    assert b"".join(streamed.streaming_content) == b"a\r\n'=1\r\n"
    assert "X-Content-SHA256" not in streamed
