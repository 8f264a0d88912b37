"""Text from a submission, made inert for each place a person reads it.

Whatever a student controls (exception messages, printed values, answers, the
names of files in an archive, a submission's folder name) is data to the
grader, and must stay data in front of the people who read the reports:

- in Markdown (``feedback.md``, which VS Code, Jupyter and many LMS pages
  render, HTML included) it goes in a code span whose backtick run is longer
  than any in the text, on one line, so no tag, link or image comes alive
  (a plain word, which nothing can make live, stays as it is); text of
  several lines, a block quote of such spans, one a line;
- on a terminal, control characters (escape sequences can retitle a window,
  write the clipboard, hide text) and the marks that reorder text (a
  right-to-left override) are shown as escapes, never sent as they are;
- HTML pages escape with ``html.escape`` and isolate names in ``<bdi>``;
- CSV cells go through ``model.files.safe_cell``.

Reports for tools (``results.json``, ``grades.csv``) keep the text exact.
"""

from __future__ import annotations

import re

# C0 and C1 controls but the tab, and the invisible marks that change how text around them is read:
# directional marks, embeddings, overrides and isolates; zero-width characters; line and paragraph separators;
# and lone surrogates, which no encoding writes
_HIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
# a word no Markdown reader can take for markup: letters and digits, single underscores only between them
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def visible(text: str) -> str:
    """``text`` with every control character and invisible reordering mark written as an escape (``\\x1b``,
    ``\\u202e``, ``\\n``): safe on a terminal, and one line wherever it was one value."""
    return _HIDDEN.sub(_escape, text)


def code_span(text: str) -> str:
    """``text`` as a Markdown code span that nothing in it can end: shown literally by every CommonMark viewer
    (no HTML, links or emphasis), on one line."""
    text = visible(text)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark takes one space off each end of a span that has text and spaces at both ends: pad to keep them
    pad = " " if text.strip(" ") and (text[0] in "` " or text[-1] in "` ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def quoted_lines(text: str) -> list[str]:
    """``text`` of several lines as the lines of a Markdown block quote that shows it line by line: each of its
    lines a ``code_span`` (nothing in it is live, and a line that begins with a span's backticks is no other
    block: no heading, list, fence, table, HTML or quote of the text's own) ending in a hard line break (a
    backslash) but a paragraph's last; its blank lines part the paragraphs. Indent them as the place they go."""
    paragraphs: list[list[str]] = [[]]
    for line in _LINE_BREAK.split(text):
        if line.strip():
            paragraphs[-1].append(code_span(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    quoted: list[str] = []
    for paragraph in (spans for spans in paragraphs if spans):
        if quoted:
            quoted.append(">")
        quoted += [f"> {span}\\" for span in paragraph[:-1]] + [f"> {paragraph[-1]}"]
    return quoted


def markdown_text(text: str) -> str:
    """Student text for a Markdown page: a plain word (``arith``, ``test_double``) as it is, anything else as a
    ``code_span``."""
    return text if _PLAIN_WORD.fullmatch(text) else code_span(text)
