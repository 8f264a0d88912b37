"""Every student-facing sentence, in English and Chinese.

A message is a ``Text``: a code and its parameters, rendered late, in the
language the report asks for. A parameter may itself be a ``Text``. Codes
ending in ``.hidden`` are the variants shown for tests whose visibility hides
their data: they name what failed, never an input or an expected value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")


@dataclass(frozen=True)
class Text:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: Language = "en") -> str:
        return render(self, lang)

    def __str__(self) -> str:
        return render(self, "en")


def t(code: str, **params: Any) -> Text:
    return Text(code, params)


def points_of(value: float) -> Text:
    """A number of points as a phrase: ``1 point``, ``2.5 points`` (``1 分``, ``2.5 分``: no plural in Chinese);
    the number as people read it, with at most two decimals."""
    shown = round(float(value), 2) + 0.0  # never -0
    return t("points.one" if abs(shown) == 1 else "points.many", points=shown)


def text_data(text: Text) -> dict[str, Any]:
    """A message as JSON data (``text_of_data`` reads it back): for a message the grader itself made."""
    return {"code": text.code, "params": {name: text_data(value) if isinstance(value, Text) else value
                                          for name, value in text.params.items()}}


def text_of_data(data: dict[str, Any]) -> Text:
    return Text(str(data["code"]), {str(name): text_of_data(value) if isinstance(value, dict) else value
                                    for name, value in dict(data["params"]).items()})


def render(text: Text | str, lang: Language = "en", quote: Callable[[str], str] | None = None) -> str:
    """``text`` in ``lang``. With ``quote``, every parameter that is not a number, at any depth, goes through it
    first: parameters carry what the student's code said (exception messages, names, values), and a format
    that gives markup a meaning (Markdown, a terminal) must show them inert. A plain string is all parameter."""
    if isinstance(text, str):
        return text if quote is None else quote(text)
    templates = CATALOGUE.get(text.code)
    if templates is None:
        raise KeyError(f"no message {text.code!r}")
    params = {k: render(v, lang, quote) if isinstance(v, Text) else _quoted(v, quote) for k, v in text.params.items()}
    return templates[lang].format(**params)


def _quoted(value: Any, quote: Callable[[str], str] | None) -> Any:
    if quote is None or isinstance(value, (int, float)):
        return value
    return quote(str(value))


CATALOGUE: dict[str, dict[Language, str]] = {
    # --- the worker: how student code failed to answer --------------------------
    "worker.timeout": {
        "en": "your code timed out after {seconds:g} s in {doing}",
        "zh": "你的代码在 {doing} 中运行超过 {seconds:g} 秒，已被终止",
    },
    "worker.memory": {
        "en": "your code went over its memory limit during {doing}",
        "zh": "你的代码在 {doing} 中超出了内存限制",
    },
    "worker.cpu": {
        "en": "your code used up its CPU time limit during {doing}",
        "zh": "你的代码在 {doing} 中用完了 CPU 时间限制",
    },
    "worker.crashed": {
        "en": "your code crashed ({signal}) during {doing}",
        "zh": "你的代码在 {doing} 中崩溃了（{signal}）",
    },
    "worker.exited": {
        "en": "your code exited (status {status}) during {doing}",
        "zh": "你的代码在 {doing} 中退出了（状态码 {status}）",
    },
    "worker.silent": {
        "en": "your code stopped answering during {doing}",
        "zh": "你的代码在 {doing} 中不再响应",
    },
    "worker.garbled": {
        "en": "your code sent a garbled answer during {doing}",
        "zh": "你的代码在 {doing} 中返回了无法识别的数据",
    },
    "worker.too_large": {
        "en": "your code sent an answer too large to accept during {doing}",
        "zh": "你的代码在 {doing} 中返回的数据过大，无法接收",
    },
    "worker.gone": {
        "en": "your code's process is no longer running",
        "zh": "运行你的代码的进程已经结束",
    },
    # --- what the grader was doing in the student's code when it failed -----------------
    "doing.importing": {"en": "importing {module}.py", "zh": "导入 {module}.py 的过程"},
    "doing.running_cell": {"en": "running the cell {module}", "zh": "运行单元 {module} 的过程"},
    "doing.starting": {"en": "starting your code's process", "zh": "启动运行你的代码的进程的过程"},
    "doing.decoding": {"en": "reading your submission's files", "zh": "读取你提交的文件的过程"},
    "doing.reading": {"en": "reading {what}", "zh": "读取 {what} 的过程"},
    "doing.sending": {"en": "handing test data to your code", "zh": "把测试数据交给你的代码的过程"},
    "doing.helper": {"en": "preparing the test helper {name}", "zh": "准备测试辅助对象 {name} 的过程"},
    # --- the session: what student code did ------------------------------------------
    "session.budget": {
        "en": "the submission used up its {seconds:g} s time budget",
        "zh": "这份提交用完了总共 {seconds:g} 秒的运行时间",
    },
    "session.lost": {
        "en": "{label} was lost when your code's process was restarted",
        "zh": "运行你的代码的进程重启后，{label} 已不存在",
    },
    "session.not_plain": {
        "en": "your code sent an answer that is not plain data",
        "zh": "你的代码返回的不是普通数据（数值、列表或数组）",
    },
    "session.len": {
        "en": "len({label}) is not an int",
        "zh": "len({label}) 返回的不是整数",
    },
    "session.repr": {
        "en": "__repr__ did not return text",
        "zh": "__repr__ 返回的不是字符串",
    },
    "session.at": {"en": " ({place} in {function})", "zh": "（{place}，{function} 中）"},
    "session.cell_place": {"en": "cell {module}, line {line}", "zh": "单元 {module} 第 {line} 行"},
    "session.not_implemented": {
        "en": "{function} is not implemented yet{at}",
        "zh": "{function} 还没有实现{at}",
    },
    "session.exit": {
        "en": "your code called exit ({status}) during {doing}{at}",
        "zh": "你的代码在 {doing} 中调用了 exit（{status}）{at}",
    },
    "call.with": {"en": "{call} with {details}", "zh": "{call}（其中 {details}）"},
    "session.raised": {
        "en": "{doing} raised {kind}: {detail}{at}",
        "zh": "{doing} 抛出了 {kind}：{detail}{at}",
    },
    "session.raised.hidden": {
        "en": "{doing} raised {kind}{at}",
        "zh": "{doing} 抛出了 {kind}{at}",
    },
    "session.raised_bare": {
        "en": "{doing} raised {kind}{at}",
        "zh": "{doing} 抛出了 {kind}{at}",
    },
    "session.import": {
        "en": "{module}.py cannot be imported: {reason}",
        "zh": "无法导入 {module}.py：{reason}",
    },
    "session.import_cell": {
        "en": "the cell {module} cannot be run: {reason}",
        "zh": "单元 {module} 无法运行：{reason}",
    },
    "session.no_module": {
        "en": "importing {module}.py gave no module",
        "zh": "导入 {module}.py 没有得到模块",
    },
    # --- a number of points (``points_of``): "1 point", never "1 points" ------------------------
    "points.one": {"en": "{points:g} point", "zh": "{points:g} 分"},
    "points.many": {"en": "{points:g} points", "zh": "{points:g} 分"},
    # --- grader questions --------------------------------------------------------------
    "questions.heading": {"en": "{unit}: questions for {student}", "zh": "{unit}：{student} 的题目"},
    "questions.open_heading": {
        "en": "Open questions: answer each in your own words, as text in answers.yaml (question id: |, then the "
              "text on the lines below, indented), or in its Markdown cell of the notebook; a person grades them.",
        "zh": "开放题：请用自己的话作答，写在 answers.yaml 中（题目 id: |，然后在下面几行缩进写出答案），"
              "或者写在 notebook 中对应的文本单元里；由老师或助教人工评分。",
    },
    "questions.open_points": {"en": "{points}, graded by a person", "zh": "{points}，人工评分"},
    "questions.heading_default": {"en": "{unit}: questions for the default variant", "zh": "{unit}：默认版本的题目"},
    # --- the grader's own work on a submission, stopped at its deadline --------------
    "run.stopped.deadline": {
        "en": "grading stopped: reading and checking this submission took the grader more than {seconds} s, so "
              "nothing was scored; if that is unexpected, tell your instructor",
        "zh": "评分已停止：评分程序读取和检查这份提交用了超过 {seconds} 秒，因此没有得分；如有疑问，请告诉老师",
    },
    "run.stopped.cpu": {
        "en": "grading stopped: checking this submission used more than {seconds} s of the grader's CPU time, so "
              "nothing was scored; if that is unexpected, tell your instructor",
        "zh": "评分已停止：检查这份提交用掉了评分程序超过 {seconds} 秒的 CPU 时间，因此没有得分；如有疑问，请告诉老师",
    },
    "run.stopped.ended": {
        "en": "grading stopped: the grading process ended unexpectedly ({status}), so nothing was scored; tell "
              "your instructor",
        "zh": "评分已停止：评分进程意外结束（{status}），因此没有得分；请告诉老师",
    },
    "run.stopped.error": {"en": "its reading failed ({error})", "zh": "读取失败（{error}）"},
    # --- intake: the files themselves -------------------------------------------------
    "intake.missing": {"en": "{module}.py is missing from the submission", "zh": "提交中缺少 {module}.py"},
    "intake.unreadable": {"en": "{module}.py cannot be read ({reason})", "zh": "无法读取 {module}.py（{reason}）"},
    "intake.symlink": {
        "en": "{module}.py is a symbolic link; submit the file itself",
        "zh": "{module}.py 是符号链接，请提交文件本身",
    },
    "intake.not_regular": {"en": "{module}.py is not a regular file", "zh": "{module}.py 不是普通文件"},
    "intake.too_large": {
        "en": "{module}.py is {size} KiB; the limit is {limit} KiB",
        "zh": "{module}.py 有 {size} KiB，超过了 {limit} KiB 的上限",
    },
    "intake.not_utf8": {
        "en": "{module}.py is not UTF-8 text (bad byte at offset {offset})",
        "zh": "{module}.py 不是 UTF-8 文本（第 {offset} 个字节无法解码）",
    },
    "intake.syntax": {
        "en": "{module}.py has a syntax error at line {line}: {error}",
        "zh": "{module}.py 第 {line} 行有语法错误：{error}",
    },
    "intake.compile": {"en": "{module}.py cannot be compiled ({error})", "zh": "{module}.py 无法编译（{error}）"},
    "intake.syntax_cell": {
        "en": "the cell {module} has a syntax error at line {line}: {error}",
        "zh": "单元 {module} 第 {line} 行有语法错误：{error}",
    },
    "intake.archive_method": {
        "en": "the archive {path} holds {member} compressed with {method}, which the grader does not read; zip the "
              "exercise folder again with the usual compression (deflate)",
        "zh": "压缩包 {path} 中的 {member} 用 {method} 压缩，评分程序不读取这种格式；"
              "请用通常的压缩方式重新压缩练习文件夹",
    },
    "intake.archive_large": {
        "en": "the archive {path} is {size} MiB; the grader reads archives of at most {limit} MiB: zip only the "
              "exercise folder",
        "zh": "压缩包 {path} 有 {size} MiB；评分程序只读取不超过 {limit} MiB 的压缩包：请只压缩练习文件夹",
    },
    "intake.folder_large": {
        "en": "the submission {path} holds more than {limit} files and folders; submit only the exercise folder",
        "zh": "提交的 {path} 中有超过 {limit} 个文件和文件夹；请只提交练习文件夹",
    },
    "intake.not_listed": {
        "en": "the submission {path} cannot be read ({reason})",
        "zh": "无法读取提交的 {path}（{reason}）",
    },
    "intake.decode_raised": {
        "en": "its reading raised {kind}",
        "zh": "读取时抛出了 {kind}",
    },
    "intake.decoder": {
        "en": "the submission cannot be read: {reason}",
        "zh": "无法读取提交的内容：{reason}",
    },
    "intake.archive": {
        "en": "the archive {path} cannot be read ({error})",
        "zh": "无法读取压缩包 {path}（{error}）",
    },
    "intake.notebook": {
        "en": "the notebook {path} cannot be read ({error})",
        "zh": "无法读取 notebook {path}（{error}）",
    },
    "intake.two_folders": {
        "en": "the submission holds the modules in two folders, {first} and {second}: keep one, so that the "
              "grader knows which to grade",
        "zh": "提交中有两个文件夹都放着模块：{first} 和 {second}；请只保留一个，评分程序才知道该评哪一个",
    },
    "intake.two_notebooks": {
        "en": "the submission holds two notebooks, {first} and {second}: keep only the one with your answers",
        "zh": "提交中有两个 notebook：{first} 和 {second}；请只保留写有你答案的那一个",
    },
    "intake.elsewhere": {
        "en": "{module}.py is not in {folder} with the other modules but at {path}: put the modules in one folder",
        "zh": "{module}.py 不在其他模块所在的 {folder} 中，而在 {path}：请把模块放在同一个文件夹里",
    },
    "intake.notebook_large": {
        "en": "the notebook {path} is {size} MiB; the grader reads notebooks of at most {limit} MiB: clear its "
              "outputs (Kernel, Restart & Clear Output) and save it again",
        "zh": "notebook {path} 有 {size} MiB；评分程序只读取不超过 {limit} MiB 的 notebook："
              "请清除所有单元的输出后重新保存",
    },
    "intake.archive_member": {
        "en": "the archive {path} holds {member}, which cannot be read ({error}); zip the exercise folder again",
        "zh": "压缩包 {path} 中的 {member} 无法读取（{error}）；请重新压缩练习文件夹",
    },
    "intake.notebook_deep": {
        "en": "the notebook {path} is nested more than {limit} levels deep; save it again from Jupyter",
        "zh": "notebook {path} 的嵌套超过 {limit} 层；请在 Jupyter 中重新保存",
    },
    "intake.notebook_cells": {
        "en": "the notebook {path} has {count} cells; the limit is {limit}",
        "zh": "notebook {path} 有 {count} 个单元，上限是 {limit} 个",
    },
    "intake.archive_members": {
        "en": "the archive {path} lists more than {limit} files; zip only the exercise folder",
        "zh": "压缩包 {path} 中的文件超过 {limit} 个；请只压缩练习文件夹",
    },
    "intake.archive_inconsistent": {
        "en": "the archive {path} cannot be trusted: {why}; zip the exercise folder again",
        "zh": "压缩包 {path} 的结构自相矛盾（{why}）；请重新压缩练习文件夹",
    },
    "intake.notebook_form": {
        "en": "the notebook {path} is not a valid notebook: {where} should be {expected}; save it again from Jupyter",
        "zh": "notebook {path} 的格式不对：{where} 应该是 {expected}；请在 Jupyter 中重新保存",
    },
    "archive.end_misplaced": {"en": "its end record is not at its end", "zh": "结尾记录不在文件末尾"},
    "archive.locator": {"en": "its zip64 locator points elsewhere", "zh": "zip64 定位记录指向了别处"},
    "archive.zip64": {"en": "its zip64 record and its end record disagree", "zh": "zip64 记录与结尾记录不一致"},
    "archive.disks": {"en": "it claims to span several disks", "zh": "它声称跨越多个分卷"},
    "archive.two_ways": {"en": "its end records can be read two ways", "zh": "结尾记录有两种读法"},
    "archive.count": {
        "en": "its directory lists {found} files, not the {declared} its end record declares",
        "zh": "目录中列出 {found} 个文件，而结尾记录声明的是 {declared} 个",
    },
    "json.object": {"en": "an object", "zh": "一个对象"},
    "json.list": {"en": "a list", "zh": "一个列表"},
    "json.text": {"en": "text", "zh": "文本"},
    "json.source": {"en": "text or a list of texts", "zh": "文本或文本的列表"},
    "intake.failed": {
        "en": "the submission cannot be read ({error}); submit the exercise folder, a zip of it, or the notebook",
        "zh": "无法读取提交的内容（{error}）；请提交练习文件夹、它的 zip 压缩包或 notebook",
    },
    "intake.notebook_missing": {
        "en": "{path} has no answer cell for {module}.py: it was deleted, or replaced by a new cell; copy the cell "
              "that starts the {module} part back from the notebook you were given, and write your code in it",
        "zh": "{path} 中没有 {module}.py 的答题单元：它被删掉了，或者被一个新单元代替了；请从发给你的 notebook 中把 "
              "{module} 部分开头的那个单元复制回来，把代码写在里面",
    },
    "intake.not_folder": {
        "en": "the submission {path} is not a folder",
        "zh": "提交的 {path} 不是文件夹",
    },
    # --- answers to the questions ------------------------------------------------------
    "answers.alias": {
        "en": "answers.yaml uses YAML anchors or aliases (& and *): write each answer out",
        "zh": "answers.yaml 用了 YAML 锚点或别名（& 和 *）：请把每个答案直接写出来",
    },
    "answers.deep": {
        "en": "the answers are nested more than {limit} levels deep",
        "zh": "答案的嵌套超过了 {limit} 层",
    },
    "answers.many": {"en": "the answers hold more than {limit} items", "zh": "答案中的项目超过了 {limit} 个"},
    "answers.not_mapping": {
        "en": "{where} must map each question's id to its answer (id: answer)",
        "zh": "{where} 应该把每道题的 id 对应到它的答案（id: 答案）",
    },
    "answers.large": {
        "en": "{where} is {size} KiB; the limit is {limit} KiB",
        "zh": "{where} 有 {size} KiB，超过了 {limit} KiB 的上限",
    },
    "answers.not_utf8": {
        "en": "{where} is not UTF-8 text (bad byte at offset {offset})",
        "zh": "{where} 不是 UTF-8 文本（第 {offset} 个字节无法解码）",
    },
    "answers.yaml": {
        "en": "{where} is not valid YAML (line {line}: {problem})",
        "zh": "{where} 不是合法的 YAML（第 {line} 行：{problem}）",
    },
    "answers.cell": {
        "en": "{where} must hold ANSWERS = {{question id: answer, ...}} with plain values only",
        "zh": "{where} 中应写 ANSWERS = {{题目 id: 答案, ...}}，只能使用普通的值",
    },
    "answers.cell_change": {
        "en": "{where}, line {line}, changes ANSWERS in a way the grader does not read (it reads ANSWERS = {{...}}, "
              "then ANSWERS[id] = ..., ANSWERS.update(...), ANSWERS |= {{...}} and del ANSWERS[id]): write each "
              "answer out",
        "zh": "{where} 第 {line} 行以评分程序不读取的方式修改了 ANSWERS（它读取 ANSWERS = {{...}}，以及之后的 "
              "ANSWERS[id] = ...、ANSWERS.update(...)、ANSWERS |= {{...}}，以及删去 ANSWERS[id]）："
              "请把每个答案直接写出来",
    },
    "answers.value": {
        "en": "{where} holds a value that cannot be read (a number of thousands of digits, or a date out of range)",
        "zh": "{where} 中有无法读取的值（几千位的数，或超出范围的日期）",
    },
    "answers.not_regular": {"en": "{where} is not a regular file", "zh": "{where} 不是普通文件"},
    "answers.bad_value": {
        "en": "cannot be read in {where} ({error}); write it as a number, a text or a list",
        "zh": "在 {where} 中无法读取（{error}）；请写成一个数、一段文本或一个列表",
    },
    "answers.not_literal": {
        "en": "is not a value written out (a name, a call or a calculation is never run): write the value itself",
        "zh": "不是直接写出的值（名字、函数调用和算式都不会被运行）：请直接写出这个值",
    },
    "answers.big_number": {
        "en": "holds a number of more than {limit} digits",
        "zh": "含有超过 {limit} 位的数",
    },
    "answers.key_kind": {
        "en": "holds a mapping whose keys are not all text",
        "zh": "含有一个映射，它的键不全是文本",
    },
    "answers.kind": {
        "en": "is {kind}, which is not read as an answer; write a number, a text or a list",
        "zh": "是{kind}，不能作为答案读取；请写成一个数、一段文本或一个列表",
    },
    "answers.kind.binary": {"en": "binary data", "zh": "二进制数据"},
    "answers.kind.set": {"en": "a set", "zh": "集合"},
    "answers.kind.complex": {"en": "a complex number", "zh": "复数"},
    "answers.kind.other": {"en": "a value of the kind {name}", "zh": "类型为 {name} 的值"},
    "answers.decoder": {
        "en": "the answers cannot be read: {reason}",
        "zh": "无法读取答案：{reason}",
    },
    "answers.unreadable": {"en": "{where} cannot be read", "zh": "无法读取 {where}"},
    "answer.not_number": {"en": "is not a number", "zh": "不是一个数"},
    "answer.not_finite": {"en": "is not a finite number", "zh": "不是有限的数"},
    "answer.too_long": {"en": "is longer than {limit} characters", "zh": "超过了 {limit} 个字符"},
    "answer.too_deep": {"en": "is nested too deeply", "zh": "嵌套得太深了"},
    "answer.syntax": {"en": "cannot be read as arithmetic", "zh": "无法作为算式读取"},
    "answer.unknown_name": {
        "en": "uses {name}, which is not one of its names ({names})",
        "zh": "用到了 {name}，它不在可用的名字中（{names}）",
    },
    "answer.word": {
        "en": "cannot be read as a number ({name} is a word): write it in digits, such as -1 or 3/4",
        "zh": "无法读作一个数（{name} 是一个词）：请用数字写，例如 -1 或 3/4",
    },
    "answer.power": {"en": "raises to a power that is not a small whole number", "zh": "的指数不是较小的整数"},
    "answer.division_by_zero": {"en": "divides by zero", "zh": "除以了零"},
    "answer.too_large": {"en": "is too large to be an answer here", "zh": "太大了，不可能是这里的答案"},
    "answer.too_precise": {
        "en": "needs numbers of more than {digits} digits to work out exactly",
        "zh": "要精确算出它，需要超过 {digits} 位的数",
    },
    "answer.ragged": {
        "en": "should have rows of one length (a list of numbers, or a list of rows of numbers)",
        "zh": "各行应该一样长（一列数，或由若干行数组成的列表）",
    },
    "answer.too_many": {"en": "holds more than {limit} numbers", "zh": "包含的数超过了 {limit} 个"},
    "answer.forbidden": {
        "en": "may use only numbers, its names, + - * / // ** and brackets",
        "zh": "只能使用数字、题目中的名字、+ - * / // ** 和括号",
    },
    "answer.not_list": {
        "en": "should be a list of numbers (or a list of rows of numbers)",
        "zh": "应该是一列数（或由若干行数组成的列表）",
    },
    "answer.choice_form": {
        "en": "should be one option or a list of options ({options})",
        "zh": "应该是一个选项或一列选项（{options}）",
    },
    "answer.choice_unknown": {
        "en": "names options that do not exist: {got} (the options: {options})",
        "zh": "中有不存在的选项：{got}（可选：{options}）",
    },
    "answer.not_formula": {
        "en": "should be a formula in {names}, written as text",
        "zh": "应该是用 {names} 写成的公式（文本）",
    },
    "question.malformed": {"en": "{question}: your answer {reason}", "zh": "{question}：你的答案{reason}"},
    "question.wrong": {"en": "{question}: {got} is not the right answer", "zh": "{question}：{got} 不是正确答案"},
    "question.wrong.hidden": {"en": "{question}: the answer is not right", "zh": "{question}：答案不正确"},
    "question.missing": {
        "en": "{question}: not answered yet (add it to answers.yaml)",
        "zh": "{question}：还没有回答（请写进 answers.yaml）",
    },
    "question.unreadable": {
        "en": "{question}: the answers cannot be read: {reason}",
        "zh": "{question}：无法读取答案：{reason}",
    },
    # --- checks: what is wrong with an answer ----------------------------------------
    "check.after": {"en": "after {call}{context}, {target}", "zh": "执行 {call}{context} 之后，{target}"},
    "check.after_context": {"en": " (with {context})", "zh": "（其中 {context}）"},
    "kind.array": {"en": "a NumPy array", "zh": "NumPy 数组"},
    "kind.int": {"en": "an int", "zh": "整数（int）"},
    "kind.number": {"en": "a number", "zh": "数值"},
    "check.type": {
        "en": "{what} should be {kind}; got {got}",
        "zh": "{what} 应该是{kind}，实际得到的是 {got}",
    },
    "check.type.hidden": {
        "en": "{what} should be {kind}; got {got}",
        "zh": "{what} 应该是{kind}，实际得到的是 {got}",
    },
    "check.shape": {
        "en": "{what} has shape {got}; expected {expected}",
        "zh": "{what} 的形状是 {got}，应为 {expected}",
    },
    "check.shape.hidden": {"en": "{what} has the wrong shape", "zh": "{what} 的形状不对"},
    "check.dtype": {
        "en": "{what} has dtype {got}; expected numbers",
        "zh": "{what} 的 dtype 是 {got}，应为数值类型",
    },
    "check.values": {
        "en": "{what} differs at index {index}: expected {expected}, got {got} ({count} of {total} values differ)",
        "zh": "{what} 在下标 {index} 处不对：应为 {expected}，实际是 {got}（{total} 个值中有 {count} 个不对）",
    },
    "check.values.hidden": {"en": "{what} gives wrong values", "zh": "{what} 算出的数值不对"},
    "check.number": {"en": "{what} is {got}; expected {expected}", "zh": "{what} 的值是 {got}，应为 {expected}"},
    "check.number.hidden": {"en": "{what} gives a wrong value", "zh": "{what} 的值不对"},
    "check.unchanged": {
        "en": "{what} changed its input array; it must leave it as it was",
        "zh": "{what} 修改了输入的数组；输入必须保持原样",
    },
    "check.count": {
        "en": "{what} has {got} items; expected {expected}",
        "zh": "{what} 有 {got} 个元素，应为 {expected} 个",
    },
    "check.range": {
        "en": "{what} go from {low} to {high}; they should lie in [{start}, {stop})",
        "zh": "{what} 的取值范围是 {low} 到 {high}，应在 [{start}, {stop}) 之内",
    },
    "check.range.hidden": {
        "en": "{what} lie outside [{start}, {stop})",
        "zh": "{what} 超出了 [{start}, {stop}) 的范围",
    },
    "check.fills": {
        "en": "{what} go only from {low} to {high}: draw them from the whole of [{start}, {stop})",
        "zh": "{what} 只在 {low} 到 {high} 之间：应当在整个 [{start}, {stop}) 中取值",
    },
    "check.fills.hidden": {
        "en": "{what} do not spread over the whole of [{start}, {stop})",
        "zh": "{what} 没有分布在整个 [{start}, {stop}) 中",
    },
    "check.floats": {
        "en": "{what} holds {got} values: whatever is written into it loses its fractions; make it an array of floats",
        "zh": "{what} 的 dtype 是 {got}：写进去的数会丢掉小数部分；应当是浮点数的数组",
    },
    "check.spread": {
        "en": "{what} are not spread out: draw them uniformly at random",
        "zh": "{what} 几乎都一样：应当均匀地随机取值",
    },
    "check.same_twice": {
        "en": "{what} are the same for two new objects: draw them at random",
        "zh": "两个新对象的 {what} 完全相同：应当随机取值",
    },
    "check.repr": {
        "en": "{what} looks like {got}; make it show the object's values",
        "zh": "{what} 的结果是 {got}；请让它显示对象里的数值",
    },
    # --- reports ------------------------------------------------------------------------
    "hint": {"en": "Hint: {hint}", "zh": "提示：{hint}"},
    "report.score": {"en": "Score: {score}/{max_score}", "zh": "得分：{score}/{max_score}"},
    "report.problem": {"en": "Problem: {problem}", "zh": "问题：{problem}"},
    "report.printed": {"en": "Your code printed (first part):", "zh": "你的代码的输出（开头部分）："},
    "report.passed": {"en": "passed", "zh": "通过"},
    "report.failed": {"en": "failed", "zh": "未通过"},
    "report.hidden_test": {"en": "a hidden test", "zh": "一个隐藏测试"},
    "report.hidden_summary": {
        "en": "Hidden tests: {passed} of {total} pass.",
        "zh": "隐藏测试：{total} 个中通过 {passed} 个。",
    },
    "report.after_due": {
        "en": "Details of this test are shown after the due date.",
        "zh": "这个测试的详细信息将在截止日期之后显示。",
    },
    "report.not_run": {"en": "not run", "zh": "未运行"},
    "report.skipped": {"en": "skipped: a skip counts as a failure", "zh": "被跳过：跳过按未通过计"},
    # --- the late policy: how late, and what it cost ------------------------------------------
    "late.on_time": {
        "en": "Submitted on time ({submitted}; due {due}).",
        "zh": "按时提交（{submitted}；截止时间 {due}）。",
    },
    "late.grace": {
        "en": "Submitted {late_by} after the due date ({due}), within the grace period of {grace}: no penalty.",
        "zh": "在截止时间（{due}）之后 {late_by} 提交，仍在 {grace} 的宽限期内：不扣分。",
    },
    "late.penalty": {
        "en": "Submitted {late_by} late (due {due}): {percent}% off, {penalty}; {raw} before the penalty.",
        "zh": "迟交 {late_by}（截止时间 {due}）：扣除 {percent}%，即 {penalty}；扣分前为 {raw} 分。",
    },
    "late.refused": {
        "en": "Submitted {late_by} late, after the last accepted time ({late_due}): this submission scores 0 "
              "({raw} before the penalty).",
        "zh": "迟交 {late_by}，已超过最晚接受时间（{late_due}）：本次提交记 0 分（扣分前为 {raw} 分）。",
    },
    "feedback.title": {"en": "Feedback: {title}", "zh": "反馈：{title}"},
    "feedback.tasks": {"en": "Tasks", "zh": "任务"},
    "feedback.task": {"en": "Task", "zh": "任务"},
    "feedback.points": {"en": "Points", "zh": "得分"},
    "feedback.tests": {"en": "Tests passed", "zh": "通过的测试"},
    "feedback.failures": {"en": "What to fix", "zh": "需要改正的地方"},
    "feedback.all_pass": {"en": "Every test passes. Well done!", "zh": "所有测试都通过了，做得好！"},
    "feedback.seed": {"en": "Seed {seed}; grader {version}.", "zh": "随机种子 {seed}；评分程序 {version}。"},
    # --- grader check ---------------------------------------------------------------------
    "check_cmd.title": {"en": "{title}: public checks of {path}", "zh": "{title}：对 {path} 的公开检查"},
    "check_cmd.task": {"en": "{title}: {passed}/{total} checks pass", "zh": "{title}：{passed}/{total} 项检查正确"},
    "check_cmd.task_questions": {
        "en": "{title}: {passed}/{total} answers are there and can be read",
        "zh": "{title}：{total} 个答案中有 {passed} 个已经写好、可以读取",
    },
    "check_cmd.questions_form": {
        "en": "For the questions, only the form of your answers is checked here: whether they are right is "
              "judged when your work is graded.",
        "zh": "对于课程中的问题，这里只检查答案的格式；答案是否正确，要到正式评分时才判断。",
    },
    "open.summary": {
        "en": "Open questions: {points}, graded by a person, not here ({answered} of {total} answered)",
        "zh": "开放题：共 {points}，由老师或助教人工评分，不在这里评分（{total} 题中已回答 {answered} 题）",
    },
    "open.heading": {"en": "Open questions (graded by a person)", "zh": "开放题（人工评分）"},
    "open.adjusted": {"en": "outside the rubric, because:", "zh": "评分标准之外的调整，理由："},
    "open.late": {
        "en": "Late: the penalty is taken from the whole score, the open questions' points included: {penalty} of "
              "{raw}.",
        "zh": "迟交：扣分针对总分（包括开放题的分数）：从 {raw} 分中扣 {penalty} 分。",
    },
    "open.comment": {"en": "Comment:", "zh": "评语："},
    "open.awaiting": {"en": "awaiting review ({points})", "zh": "等待评阅（{points}）"},
    "open.not_answered": {"en": "not answered (0 of {points})", "zh": "没有回答（{points}中得 0 分）"},
    "open.check": {
        "en": "Open questions (graded by a person): {answered}/{total} answered",
        "zh": "开放题（人工评分）：{total} 题中已回答 {answered} 题",
    },
    "open.missing": {
        "en": "{question}: not answered yet (write it in answers.yaml as text)",
        "zh": "{question}：还没有回答（请在 answers.yaml 中用文字作答）",
    },
    "check_cmd.practice_offer": {
        "en": "To practise before then, answer the practice questions (`grader questions --practice`) in "
              "practice.yaml: they have a key, and this command says whether each answer is right.",
        "zh": "想在那之前练习的话，可以在 practice.yaml 中回答练习题（`grader questions --practice`）：练习题附有答案，"
              "这条命令会告诉你每个答案是否正确。",
    },
    "check_cmd.practice": {
        "en": "Practice questions (not scored): {right}/{total} right",
        "zh": "练习题（不计分）：{total} 题中答对 {right} 题",
    },
    "practice.missing": {
        "en": "{question}: not answered in practice.yaml",
        "zh": "{question}：practice.yaml 中还没有回答",
    },
    "practice.unreadable": {
        "en": "practice.yaml cannot be read: {reason}",
        "zh": "无法读取 practice.yaml：{reason}",
    },
    "practice.no_key": {
        "en": "practice.yaml is here, but this copy of the course has no practice key (ask for a new release)",
        "zh": "这里有 practice.yaml，但这份课程没有练习题的答案（请向老师索取新的发布包）",
    },
    "practice.heading": {
        "en": "{unit}: practice questions, with numbers of their own (not yours)",
        "zh": "{unit}：练习题，数字是练习专用的（不是你自己的）",
    },
    "practice.how": {
        "en": "Answer them in practice.yaml beside your modules (question id: answer), as in answers.yaml; "
              "`grader check` says whether each is right. Practice is never graded: your own questions are those "
              "of `grader questions`.",
        "zh": "请在模块旁边的 practice.yaml 中回答（题目 id: 答案），格式与 answers.yaml 相同；"
              "`grader check` 会告诉你每个答案是否正确。练习题从不计分：你自己的题目见 `grader questions`。",
    },
    "practice.none": {
        "en": "unit {unit} has no practice questions (none of its questions has numbers of its own)",
        "zh": "单元 {unit} 没有练习题（它的题目都没有各自的数字）",
    },
    "check_cmd.unit_chosen": {
        "en": "Checking unit {unit} ({title}). The course has other units; check each by its name: {commands}",
        "zh": "这次检查的是 {unit} 单元（{title}）。课程还有别的单元，请按名称分别检查：{commands}",
    },
    "check_cmd.no_student": {
        "en": "Note: there is no student_id file here, so the questions use the default numbers, not yours. Put "
              "your student id in a file named student_id in this folder (or give --student ID).",
        "zh": "提示：这里没有 student_id 文件，所以题目用的是默认的数字，而不是你自己的。请把你的学号写进本文件夹中"
              "名为 student_id 的文件（或者使用 --student 学号）。",
    },
    "check_cmd.score": {"en": "Public score: {score}/{max_score}", "zh": "公开检查得分：{score}/{max_score}"},
    "check_cmd.score_judged": {
        "en": "Public score: {score}/{max_score}, from the checks of your code (the questions' {form} are not in it)",
        "zh": "公开检查得分：{score}/{max_score}，来自对代码的检查（问题的{form}不计在内）",
    },
    "check_cmd.score_none": {
        "en": "No public score: the {form} here are the questions'",
        "zh": "没有公开检查得分：这里的{form}都属于问题",
    },
    "check_cmd.answers_missing": {
        "en": "The checks of your code pass; answers still to write: {count} (see above).",
        "zh": "代码的检查都通过了；还有 {count} 个答案要写（见上文）。",
    },
    "feedback.public_score": {
        "en": "Public score: {score}/{max_score}, from the checks of the code; the questions' {form} are judged when "
              "the work is graded (here only their answers' form is checked)",
        "zh": "公开检查得分：{score}/{max_score}，来自对代码的检查；问题的{form}要到正式评分时才判断"
              "（这里只检查答案的格式）",
    },
    "feedback.incomplete": {
        "en": "Every check that ran passes; answers still to write: {count}.",
        "zh": "运行的检查都通过了，但还有 {count} 个答案要写。",
    },
    "check_cmd.next": {"en": "Next: implement {function}.", "zh": "下一步：实现 {function}。"},
    "check_cmd.fix": {"en": "Next: fix {function} ({test} fails).", "zh": "下一步：修正 {function}（{test} 未通过）。"},
    "check_cmd.fix_module": {
        "en": "Next: fix {module}.py so that it can be imported (see above).",
        "zh": "下一步：修正 {module}.py，使它能够被导入（见上文）。",
    },
    "check_cmd.fix_answer": {
        "en": "Next: fix your answer to {question} in answers.yaml (see above).",
        "zh": "下一步：修改 answers.yaml 中你对 {question} 的答案（见上文）。",
    },
    "check_cmd.fix_notebook": {
        "en": "Next: put the answer cell for {module}.py back into your notebook (see above).",
        "zh": "下一步：把 {module}.py 的答题单元放回你的 notebook（见上文）。",
    },
    "check_cmd.fix_task": {
        "en": "Next: the checks of {task} could not run (see above).",
        "zh": "下一步：{task} 的检查无法运行（见上文）。",
    },
    "check_cmd.answer": {
        "en": "Next: answer {question} in answers.yaml (`grader questions` shows your numbers).",
        "zh": "下一步：在 answers.yaml 中回答 {question}（`grader questions` 会显示你的题目）。",
    },
    "check_cmd.printed": {"en": "your code printed:", "zh": "你的代码输出了："},
    "check_cmd.printed_more": {
        "en": "[... {count} more characters not shown]",
        "zh": "[……还有 {count} 个字符没有显示]",
    },
    "check_cmd.passes": {"en": "passes", "zh": "通过"},
    "check_cmd.same_import": {
        "en": "{tests}: cannot run, {module}.py cannot be imported (see above)",
        "zh": "{tests}：无法运行，因为无法导入 {module}.py（见上文）",
    },
    "check_cmd.ok": {"en": "ok", "zh": "通过"},
    "check_cmd.fail": {"en": "FAIL", "zh": "未通过"},
    "check_cmd.portable": {
        "en": "Note: no sandbox is available here, so the checks ran your code in a plain child process. "
              "That is fine for your own code on your own machine; the grader's hidden tests run in a sandbox.",
        "zh": "提示：这台机器上没有可用的沙箱，检查在一个普通子进程中运行了你的代码。"
              "在你自己的电脑上检查自己的代码，这样没有问题；评分时的隐藏测试在沙箱中运行。",
    },
    "check_cmd.done": {
        "en": "All public checks pass. The hidden tests try many more cases: test edge cases yourself too.",
        "zh": "公开检查全部通过。隐藏测试会尝试更多情况，请自己也测试一些边界情况。",
    },
}
