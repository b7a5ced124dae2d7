"""The practice admin's week: each clinician's seven cells, written once per distinct set of
blocks.

A row's cells depend on its blocks alone (times and status labels: queries.PracticeWeek),
never on whose row it is: the clinician's name is printed, and escaped, by the page's
partial (templates/jinja2/scheduling/_practice_rows.html) on every request. The cells are
written by a Jinja2 macro (templates/jinja2/scheduling/_practice_cells.html, autoescaped:
it escapes every value it prints and returns safe HTML) and kept by their blocks: the same
week seen again, or a clinician's unchanged week beside a changed one, costs a look-up per
row instead of printing its blocks (1,266 blocks a request on the benchmark's week). The key is the blocks themselves, so a changed,
moved or cancelled session is a new key; a block holds nothing of a clinician or a client.
"""

from __future__ import annotations

from itertools import chain

from django.template import engines

from sessions.scheduling.queries import PracticeWeek

# Rows' cells by their blocks: (each day's number of blocks, the row's blocks in order).
# Bounded: emptied when full.
_CELLS: dict[tuple, str] = {}
CELLS_MAX = 1_000


def rows(week: PracticeWeek) -> list[tuple[str, str]]:
    """(clinician's name, the row's seven cells as safe HTML) for every row of the week."""
    macros = lines = None
    block = week.blocks.__getitem__
    printed = []
    for name, days in week.rows:
        key = (tuple(map(len, days)), tuple(map(block, chain.from_iterable(days))))
        html = _CELLS.get(key)
        if html is None:
            if macros is None:
                macros = (
                    engines["jinja2"]
                    .env.get_template("scheduling/_practice_cells.html")
                    .module
                )
                # The week's blocks written (and escaped) once, one per line.
                lines = macros.blocks(week.blocks).split("\n")
            if len(_CELLS) >= CELLS_MAX:
                _CELLS.clear()
            html = _CELLS[key] = macros.cells([[lines[i] for i in day] for day in days])
        printed.append((name, html))
    return printed
