"""``report.html``: the class at a glance, one self-contained page with charts (inline SVG, no network).

Built from the per-student ``results.json`` files of a batch: the score
histogram, each task's mean score, each test's pass rate, an item analysis of
every test and open question (``grader.classwork.items``), every student's
score in a table sorted by a click on a column's header, the mistakes the
feedback diagnosed most often, the slowest submissions, and the pairs of
submissions whose code is alike (``grader.classwork.similarity``), each with
its matching code side by side. A few lines of script sort the tables and
record, once the browser has laid the page out, how many bars were drawn and
how many pairs, marks and table rows are on the page (``data-bars``,
``data-pairs``, ``data-marks``, ``data-items``, ``data-students`` on
``<body>``): tests use them to prove the page renders.
"""

from __future__ import annotations

import html
import statistics
from dataclasses import dataclass
from typing import Any

from ..model.course import Unit
from ..model.hints import Hint
from ..model.questions import open_questions
from .items import LOW_DISCRIMINATION, Item, analyse
from .similarity import Similarity

SHOWN_PAIRS = 200  # pairs with their code on the page; similarity.csv has them all
# around the similarity section, which only grade-all computes: export makes the page again and keeps the section
# (whose student text is escaped, so it cannot hold a mark)
SIMILARITY_BEGIN, SIMILARITY_END = "<!-- similarity: begin -->", "<!-- similarity: end -->"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # shown at the end of the bar



def _name(student: str) -> str:
    """A student's name on the page: escaped, and isolated so that a right-to-left mark in it cannot reorder
    the names around it."""
    return f"<bdi>{html.escape(student)}</bdi>"


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _bars_svg(title: str, bars: list[Bar], maximum: float, css_class: str = "") -> str:
    """A horizontal bar chart; ``maximum`` is the value of a full-length bar."""
    label_width, bar_width, row = 300, 380, 22
    height = row * len(bars) + 10
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>'
             f'<svg class="chart {css_class}" role="img" aria-label="{html.escape(title)}" '
             f'width="{label_width + bar_width + 90}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for index, bar in enumerate(bars):
        y = 5 + index * row
        length = 0.0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum)) * bar_width
        label = bar.label if len(bar.label) <= 44 else bar.label[:43] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(f'<rect class="track" x="{label_width}" y="{y + 3}" width="{bar_width}" height="{row - 6}"/>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}">'
                     f'<title>{html.escape(bar.label)}: {html.escape(bar.text)}</title></rect>')
        parts.append(f'<text x="{label_width + bar_width + 6}" y="{y + 15}">{html.escape(bar.text)}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _histogram_svg(scores: list[float], maximum: float) -> str:
    """Scores in ten bins of equal width, as columns."""
    bins = [0] * 10
    for score in scores:
        index = min(9, int(10 * score / maximum)) if maximum > 0 else 0
        bins[index] += 1
    tallest = max(bins) or 1
    width, height, column = 560, 200, 52
    parts = [f'<figure><figcaption>Score distribution ({len(scores)} submissions)</figcaption>'
             f'<svg class="chart histogram" role="img" aria-label="score histogram" width="{width}" '
             f'height="{height + 48}" xmlns="http://www.w3.org/2000/svg">']
    for index, count in enumerate(bins):
        x = 20 + index * column
        bar_height = height * count / tallest
        low, high = maximum * index / 10, maximum * (index + 1) / 10
        top = height - bar_height + 20  # room above the tallest column for its count
        parts.append(f'<rect class="bar" x="{x}" y="{top:.1f}" width="{column - 8}" '
                     f'height="{bar_height:.1f}"><title>{low:g}–{high:g}: {count}</title></rect>')
        parts.append(f'<text x="{x + (column - 8) / 2}" y="{top - 5:.1f}" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + (column - 8) / 2}" y="{height + 36}" text-anchor="middle">{low:g}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .4rem; }
svg.chart text { font-size: 12px; fill: #333; }
svg.chart rect.track { fill: #eef1f5; } svg.chart rect.bar { fill: #3b6fb6; }
svg.mistakes rect.bar { fill: #c0504d; } svg.slowest rect.bar { fill: #8064a2; }
.summary { display: flex; gap: 2rem; } .summary div { font-size: 1.1rem; }
.summary b { display: block; font-size: 1.6rem; } p.note { color: #666; font-size: .9rem; }
table.pairs { border-collapse: collapse; } table.pairs td, table.pairs th { padding: .2rem .6rem; text-align: left;
  border-bottom: 1px solid #ddd; vertical-align: top; }
details.pair { margin: .6rem 0; } details.pair summary { cursor: pointer; font-weight: 600; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.side pre { overflow: auto; max-height: 32rem; font-size: 11px; background: #f7f7f9; padding: .5rem; margin: 0; }
.side h4 { margin: .3rem 0; font-size: .85rem; } mark { background: #ffd966; }
table.sortable { border-collapse: collapse; font-size: .9rem; } table.sortable td, table.sortable th {
  padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
table.sortable td.n, table.sortable th[data-type="number"] { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable caption { text-align: left; }
table.sortable th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; }
table.sortable th[aria-sort="ascending"] button::after { content: " ▲"; }
table.sortable th[aria-sort="descending"] button::after { content: " ▼"; }
table.items tr.flagged { background: #fff3cd; } table.items td.flag { color: #8a5a00; }
"""

SCRIPT = """
// A click on a column's header sorts its table by that column: ascending first, then the other way. Cells are
// compared by their data-value, as numbers in a column marked data-type="number"; a cell with no value (a
// student not graded, a statistic that is undefined) stays last either way.
function sortTable(header) {
  var row = header.parentNode, table = row.closest('table'), body = table.tBodies[0];
  var column = Array.prototype.indexOf.call(row.children, header);
  var ascending = header.getAttribute('aria-sort') !== 'ascending';
  var numeric = header.getAttribute('data-type') === 'number';
  Array.prototype.forEach.call(row.children, function (other) { other.setAttribute('aria-sort', 'none'); });
  header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = a.cells[column].getAttribute('data-value'), y = b.cells[column].getAttribute('data-value');
    if (x === '' || y === '') { return (x === '') - (y === ''); }
    var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    return ascending ? order : -order;
  });
  rows.forEach(function (each) { body.appendChild(each); });
}
document.addEventListener('click', function (event) {
  var header = event.target.closest && event.target.closest('table.sortable th');
  if (header) { sortTable(header); }
});
window.addEventListener('load', function () {
  var drawn = Array.prototype.filter.call(document.querySelectorAll('svg.chart rect.bar'),
    function (bar) { return bar.getBBox().height > 0; });
  document.body.setAttribute('data-bars', String(drawn.length));
  document.body.setAttribute('data-charts', String(document.querySelectorAll('svg.chart').length));
  document.body.setAttribute('data-pairs', String(document.querySelectorAll('details.pair').length));
  document.body.setAttribute('data-marks', String(document.querySelectorAll('details.pair mark').length));
  document.body.setAttribute('data-items', String(document.querySelectorAll('table.items tbody tr').length));
  document.body.setAttribute('data-students', String(document.querySelectorAll('table.scores tbody tr').length));
});
"""


def _sortable(css_class: str, caption: str, headers: list[tuple[str, bool]], rows: list[str]) -> str:
    """A table sorted by a click on a header; ``headers`` are (text, numeric), ``rows`` the ``<tr>`` of its
    body, each cell with its ``data-value`` to sort by."""
    kinds = {True: ' data-type="number"', False: ""}
    head = "".join(f'<th scope="col" aria-sort="none"{kinds[numeric]}><button type="button">{html.escape(text)}'
                   "</button></th>" for text, numeric in headers)
    return (f'<table class="sortable {css_class}"><caption class="note">{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _cell(text: str, value: str | float | None, numeric: bool = True) -> str:
    """A cell showing ``text`` (already HTML), sorted by ``value`` (None: last, whichever the direction)."""
    key = "" if value is None else repr(float(value)) if numeric and not isinstance(value, str) else str(value)
    align = ' class="n"' if numeric else ""
    return f'<td{align} data-value="{html.escape(key)}">{text}</td>'


ITEMS_NOTE = (
    "Difficulty is the share of graded students who got the item: passed the test, or for an open question the "
    "mean fraction of its points among the reviewed answers (100% is easy, 0% hard). Discrimination is the "
    "correlation between an item's score and the student's total over all the other items: near 1 when strong "
    "submissions get it and weak ones miss it. Items with a discrimination below "
    f"{LOW_DISCRIMINATION:g}, or negative, deserve a look (the test may check something the task does not ask, "
    "be flaky, or the key or the question may be wrong or unclear); items that everyone or no one gets carry no "
    "information about who understood. Flagged items are highlighted. – means undefined: fewer than 3 students, "
    "or the item or the rest of the score is the same for everyone. Click a column's header to sort.")


def items_section(items: list[Item]) -> str:
    """The item analysis: every test and open question with its difficulty and discrimination, flagged where
    it deserves a look."""
    head = f'<h2>Item analysis</h2><p class="note">{html.escape(ITEMS_NOTE)}</p>'
    if not items:
        return head + '<p class="note">No test or open question to analyse.</p>'
    rows = []
    for item in items:
        flag = item.flag
        difficulty = "–" if item.difficulty is None else f"{100 * item.difficulty:.0f}%"
        discrimination = "–" if item.discrimination is None else f"{item.discrimination:.2f}"
        marked = ' class="flagged"' if flag else ""
        rows.append(
            f'<tr{marked} data-id="{html.escape(item.id)}">'
            + _cell(html.escape(item.label), item.label, numeric=False)
            + _cell("test" if item.kind == "test" else "open question", item.kind, numeric=False)
            + _cell(str(item.students), item.students)
            + _cell(difficulty, item.difficulty)
            + _cell(discrimination, item.discrimination)
            + f'<td class="flag" data-value="{html.escape(flag)}">{"⚑ " + html.escape(flag) if flag else ""}</td>'
            + "</tr>")
    return head + _sortable("items", "Difficulty and discrimination of every item", [
        ("item", False), ("kind", False), ("students", True), ("difficulty", True), ("discrimination", True),
        ("look at", False)], rows)


def scores_section(unit: Unit, reports: list[tuple[str, dict[str, Any] | None]]) -> str:
    """Every student's score, its parts per task and, with open questions, the reviewed and pending points."""
    questions = bool(open_questions(unit))
    headers = [("student", False), ("score", True), *((task.name(), True) for task in unit.tasks)]
    headers += [("open score", True), ("pending review", True)] if questions else []
    rows = []
    for student, report in reports:
        cells = [_cell(_name(student), student, numeric=False)]
        if report is None:
            cells += [_cell("not graded", None)] + [_cell("", None) for _ in headers[2:]]
        else:
            extra = report.get("extra_data") or {}
            score = float(report.get("score", 0))
            cells.append(_cell(f"{_number(score)} / {_number(float(report.get('max_score', 0)))}", score))
            for task in unit.tasks:
                part = float((extra.get("tasks") or {}).get(task.id, {}).get("score", 0))
                cells.append(_cell(_number(part), part))
            if questions:
                reviewed, pending = float(extra.get("open_score", 0)), float(extra.get("open_pending", 0))
                cells += [_cell(_number(reviewed), reviewed), _cell(_number(pending), pending)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<h2>Students</h2>" + _sortable("scores", "Every student's score; click a column's header to sort",
                                           headers, rows)


def similarity_section(result: Similarity | None, note: str = "") -> str:
    """The flagged pairs, each with its matching code side by side; or why there are none."""
    head = "<h2>Similar submissions</h2>"
    caution = ("A flag for a person to look at, never a grade change: code can be alike for honest reasons "
               "(the lesson's own code, a study group's discussion).")
    if result is None:
        return head + f'<p class="note">Not computed: {html.escape(note)}</p>'
    parts = [head, f'<p class="note">{result.compared} submissions compared; pairs at or above '
                   f"{result.threshold:.0%} alike are listed (passages found in more than {result.common} "
                   f"submissions count as shared material). {caution}</p>"]
    if result.left_out:
        parts.append('<p class="note">Not compared: ' + "; ".join(
            f"{_name(s)} ({html.escape(why)})" for s, why in sorted(result.left_out.items())) + "</p>")
    if not result.pairs:
        return "".join(parts) + '<p class="note">No pair reaches the threshold.</p>'
    parts.append('<table class="pairs"><tr><th>student a</th><th>student b</th><th>similarity</th>'
                 "<th>functions that match</th></tr>")
    for pair in result.pairs:
        parts.append(f"<tr><td>{_name(pair.a)}</td><td>{_name(pair.b)}</td><td>{pair.similarity:.0%}"
                     f"</td><td>{html.escape(', '.join(pair.functions)) or '-'}</td></tr>")
    parts.append("</table>")
    for pair in result.pairs[:SHOWN_PAIRS]:
        parts.append(f'<details class="pair"><summary>{_name(pair.a)} and {_name(pair.b)}: '
                     f"{pair.similarity:.0%}</summary>")
        for module, mine, theirs in pair.views:  # already escaped, with <mark> around what matches
            parts.append(f'<div class="side"><div><h4>{_name(pair.a)}: {html.escape(module)}.py</h4>'
                         f"<pre>{mine}</pre></div><div><h4>{_name(pair.b)}: {html.escape(module)}.py</h4>"
                         f"<pre>{theirs}</pre></div></div>")
        parts.append("</details>")
    if len(result.pairs) > SHOWN_PAIRS:
        parts.append(f'<p class="note">{len(result.pairs) - SHOWN_PAIRS} more pairs in similarity.csv.</p>')
    return "".join(parts)


def render(unit: Unit, reports: list[tuple[str, dict[str, Any] | None]], hints: dict[str, Hint],
           similarity: str = "") -> str:
    """The page; ``similarity`` is its section of similar submissions (see ``similarity_section``)."""
    graded = [(student, report) for student, report in reports if report is not None]
    missing = [student for student, report in reports if report is None]
    questions = open_questions(unit)
    maximum = unit.max_score + sum(float(q.points or 0) for q in questions)  # reports come with their reviews
    scores = [float(report["score"]) for _, report in graded]
    sections = [f"<h1>{html.escape(unit.name())}: class report</h1>"]
    mean = statistics.fmean(scores) if scores else 0.0
    median = statistics.median(scores) if scores else 0.0
    full = sum(1 for s in scores if s >= maximum)
    sections.append(
        '<div class="summary">'
        f"<div><b>{len(graded)}</b>graded</div><div><b>{mean:.1f}</b>mean score</div>"
        f"<div><b>{median:.1f}</b>median</div><div><b>{full}</b>full marks</div>"
        f"<div><b>{len(missing)}</b>not graded</div></div>")
    sections.append(_histogram_svg(scores, maximum))

    task_bars = []
    for task in unit.tasks:
        values = [float(r["extra_data"].get("tasks", {}).get(task.id, {}).get("score", 0)) for _, r in graded]
        average = statistics.fmean(values) if values else 0.0
        task_bars.append(Bar(task.name(), average, f"{average:.1f} / {task.points:g}"))
    sections.append("<h2>Tasks</h2>" + _bars_svg("Mean score per task (of its points)", [
        Bar(b.label, b.value / t.points if t.points else 0, b.text) for b, t in zip(task_bars, unit.tasks)
    ], 1.0, "tasks"))

    items = analyse(unit, graded)
    test_bars = [Bar(item.label, item.difficulty, f"{100 * item.difficulty:.0f}%")
                 for item in items if item.kind == "test" and item.difficulty is not None]
    test_bars.sort(key=lambda bar: bar.value)
    sections.append("<h2>Tests</h2>" + _bars_svg("Pass rate per test, hardest first", test_bars, 1.0, "tests"))
    sections.append(items_section(items))
    sections.append(scores_section(unit, reports))

    mistakes: dict[str, int] = {}
    for _, report in graded:
        for mistake in report.get("extra_data", {}).get("diagnosed_mistakes", []):
            mistakes[mistake] = mistakes.get(mistake, 0) + 1
    common = sorted(mistakes.items(), key=lambda item: -item[1])[:10]
    mistake_bars = [Bar(hints[m].title["en"] if m in hints else m, n, f"{n} of {len(graded)}") for m, n in common]
    sections.append("<h2>Mistakes</h2>" + (_bars_svg("Most frequent diagnosed mistakes", mistake_bars,
                                                       float(common[0][1]) if common else 1.0, "mistakes")
                                           if mistake_bars else '<p class="note">No known mistake was diagnosed.</p>'))

    for question in questions:
        entries = [r.get("extra_data", {}).get("open", {}).get(question.id) or {} for _, r in graded]
        reviewed = [entry for entry in entries if entry.get("status") == "reviewed"]
        answered = sum(1 for entry in entries if entry.get("answered"))
        item_bars = [Bar(item.text["en"],
                         sum(1 for entry in reviewed if item.id in entry.get("items", [])),
                         f"{sum(1 for entry in reviewed if item.id in entry.get('items', []))} of {len(reviewed)}")
                     for item in question.rubric]
        sections.append(f"<h2>Open question {html.escape(question.id)}</h2>"
                        f'<p class="note">{len(reviewed)} of {answered} answers reviewed; '
                        f"{len(graded) - answered} not answered.</p>"
                        + _bars_svg("How often each rubric item was given (of the reviewed answers)", item_bars,
                                    float(max(1, len(reviewed))), "rubric"))

    slow = sorted(graded, key=lambda item: -float(item[1].get("execution_time", 0)))[:10]
    slowest = max((float(r.get("execution_time", 0)) for _, r in slow), default=0.0)
    times = [(student, float(report.get("execution_time", 0))) for student, report in slow]
    sections.append("<h2>Slowest submissions</h2>" + _bars_svg(
        "Grading time (seconds)", [Bar(s, seconds, f"{seconds:.2f} s") for s, seconds in times], slowest or 1.0,
        "slowest"))
    if missing:
        sections.append("<h2>Not graded</h2><p>" + ", ".join(_name(s) for s in missing) + "</p>")
    if similarity:
        sections.append(f"{SIMILARITY_BEGIN}{similarity}{SIMILARITY_END}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(unit.name())}: class report</title><style>{STYLE}</style>"
            f"<script>{SCRIPT}</script></head><body>{''.join(sections)}</body></html>\n")


def kept_similarity(page: str | None) -> str:
    """The similarity section of a page ``render`` made ('' when there is none, or when either mark is not there
    exactly once, in order)."""
    if not page or page.count(SIMILARITY_BEGIN) != 1 or page.count(SIMILARITY_END) != 1:
        return ""
    rest = page.partition(SIMILARITY_BEGIN)[2]
    section, found, _ = rest.partition(SIMILARITY_END)
    return section if found else ""
