"""Where a submission's modules are: one rule for a folder and for the archive of that folder (a zip graded as
it is, or unpacked, as Gradescope does, gets the same grade).

Students upload in many shapes: the module files, the ``exercises`` folder, the folder around it, a zip of any
of these, a notebook. The modules are the unit's module files in the shallowest folder that holds one, at most
``MAX_DEPTH`` folders down; without any, the one notebook there (of several, the one that holds the unit's
cells, the shallowest of those). A link is never a module. Two folders, or two notebooks, at one depth are not
guessed between: the student is told to keep one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .notebooks import MAX_NOTEBOOK_BYTES, notebook_cells
from .plain import Problem, problem, text
from .tree import MAX_DEPTH, Tree, depth, folder_of, suffix

MAX_NOTEBOOKS = 4  # notebooks looked into to find the one that holds the unit's cells


@dataclass(frozen=True)
class Located:
    """``form``: ``folder`` (the modules' files are in ``where``, a prefix), ``notebook`` (the notebook at
    ``where``), ``file`` (a submission that is one file of another kind) or ``none`` (no module file and no
    notebook); ``problem``: why the place cannot be told (two folders, two notebooks)."""

    where: str
    form: str
    problem: Problem | None = None


def _module_folders(tree: Tree, modules: list[str]) -> list[str]:
    """The folders that hold a regular file named as a module, shallowest first; without any, those that hold
    anything so named (a link, a folder: what is wrong with it is then said). A link is never a module, whether
    a folder holds it or an archive (whose links point nowhere), so both are read alike."""
    names = {f"{module}.py" for module in modules}
    named = [path for path in tree.paths() if path.rpartition("/")[2] in names and depth(folder_of(path)) <= MAX_DEPTH]
    files = [path for path in named if tree.kind(path) == "file"]
    return list(dict.fromkeys(folder_of(path) for path in files or named))


def notebooks_in(tree: Tree) -> list[str]:
    """The notebooks of a submission (files named ``*.ipynb``, in any case), at most ``MAX_DEPTH`` folders down,
    shallowest first."""
    return [path for path in tree.paths() if suffix(path).lower() == ".ipynb" and tree.kind(path) == "file"
            and depth(folder_of(path)) <= MAX_DEPTH]


def _holds(tree: Tree, path: str, cells: list[str]) -> bool:
    data = tree.data(path)
    if data is None or tree.size(path) > MAX_NOTEBOOK_BYTES:
        return False
    found, trouble = notebook_cells(data, path, cells)
    return trouble is None and bool(found)


def locate(tree: Tree, modules: list[str], cells: list[str]) -> Located:
    """Where the modules are (see the module's docstring); ``cells``: the grade ids of the unit's cells (its
    modules', its answers'), by which a notebook that holds them is told from a scratch one."""
    if tree.one_file:
        kind = {".ipynb": "notebook"}.get(suffix(tree.name).lower(), "file")
        return Located("", kind if tree.kind("") == "file" else "file")
    folders = _module_folders(tree, modules)
    if folders:
        shallowest = [folder for folder in folders if depth(folder) == depth(folders[0])]
        if len(shallowest) > 1:
            return Located("", "none", problem("intake.two_folders", first=text(shallowest[0]),
                                               second=text(shallowest[1])))
        return Located(folders[0], "folder")
    notebooks = notebooks_in(tree)
    if len(notebooks) > 1:
        holding = [path for path in notebooks[:MAX_NOTEBOOKS] if _holds(tree, path, cells)]
        holding = [path for path in holding if depth(path) == depth(holding[0])] if holding else []  # shallowest
        if len(holding) > 1 or (not holding and len(notebooks) > MAX_NOTEBOOKS):
            named = holding or notebooks
            return Located("", "none", problem("intake.two_notebooks", first=text(named[0]),
                                               second=text(named[1])))
        notebooks = holding or notebooks[:1]
    if notebooks:
        return Located(notebooks[0], "notebook")
    return Located("", "none")


def elsewhere(tree: Tree, module: str, where: str) -> str | None:
    """Where else the submission holds ``<module>.py`` (the shallowest place, at most ``MAX_DEPTH`` folders
    down), when it is not in ``where``."""
    name = f"{module}.py"
    for path in tree.paths():
        if path.rpartition("/")[2] == name and folder_of(path) != where and tree.kind(path) == "file" and \
                depth(folder_of(path)) <= MAX_DEPTH:
            return path
    return None
