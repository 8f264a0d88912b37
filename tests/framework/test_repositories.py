"""A student's repository is data: ``--submitted-at git`` reads the last commit's time from its files, runs no
program and lets nothing of the repository configure anything. Each hostile setting below is first shown to
run a command under plain git on this machine; then the grader reads the same repository and runs none."""

import json
import os
import shutil
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone
from hashlib import sha1
from pathlib import Path

import pytest
from bounded import within

from grader.classwork.times import git_times as git_times_of
from grader.model.course import Limits
from grader.trust.decoding import commits
from grader.trust.decoding.commits import CommitError, apply_delta, commit_time


def git_times(submissions: dict[str, Path]):
    """Each repository's last commit time, read as grade-all reads it: in a sandboxed worker of its own."""
    return git_times_of(submissions, Limits(), jobs=2)

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None and not os.environ.get("CI"), reason="git builds the repositories")
MISSING = "1" * 40
ENVIRONMENT = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x",
               "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x", "LC_ALL": "C"}


def git(repo: Path, *args: str, when: str = "2026-12-02T03:04:05+08:00", check: bool = True) -> str:
    done = subprocess.run([GIT or "git", *args], cwd=repo, capture_output=True, timeout=60, check=check,
                          env={**ENVIRONMENT, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z"})
    return done.stdout.decode()


def repository(path: Path, commits_made: int = 1, object_format: str = "sha1") -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", f"--object-format={object_format}")
    for index in range(commits_made):
        (path / "notes.txt").write_text(f"line {index}\n" * (index + 1))
        git(path, "add", "notes.txt")
        git(path, "commit", "-q", "-m", f"work {index}\n\n" + "a longer message " * 20,
            when=f"2026-12-{1 + index % 28:02d}T03:{index % 60:02d}:05+08:00")
    return path


def git_says(repo: Path) -> datetime:
    return datetime.fromisoformat(git(repo, "log", "-1", "--format=%cI").strip())


@pytest.fixture
def trap(tmp_path):
    """(program, fired): a program that leaves a mark when run, and whether it has been run (and the mark gone)."""
    mark = tmp_path / "FIRED"
    program = tmp_path / "evil.sh"
    program.write_text(f"#!/bin/sh\ntouch {mark}\nexit 1\n")
    program.chmod(0o755)

    def fired() -> bool:
        seen = mark.exists()
        mark.unlink(missing_ok=True)
        return seen
    return str(program), fired


def promisor(repo: Path, **settings: str) -> None:
    """A partial clone whose HEAD names a commit it lacks: git fetches it lazily from the remote."""
    git(repo, "config", "extensions.partialClone", "origin")
    git(repo, "config", "remote.origin.promisor", "true")
    for key, value in settings.items():
        git(repo, "config", key.replace("_", "."), value)
    (repo / ".git" / "HEAD").write_text(MISSING + "\n")


def setting_upload_pack(repo, program):  # the issue's own: a lazy fetch runs uploadpack through the shell
    promisor(repo, remote_origin_url="/nonexistent", remote_origin_uploadpack=f"{program} #")
    return ["cat-file", "commit", "HEAD"]


def setting_ssh_command(repo, program):
    promisor(repo, remote_origin_url="ssh://example.invalid/x", core_sshCommand=program)
    return ["cat-file", "commit", "HEAD"]


def setting_ext_transport(repo, program):
    promisor(repo, protocol_ext_allow="always", remote_origin_url=f"ext::{program}")
    return ["cat-file", "commit", "HEAD"]


def setting_fsmonitor(repo, program):
    git(repo, "config", "core.fsmonitor", program)
    return ["status"]


def setting_included_config(repo, program):
    (repo / ".git" / "more.config").write_text(f"[core]\n\tfsmonitor = {program}\n")
    git(repo, "config", "include.path", "more.config")
    return ["status"]


def setting_signature_program(repo, program):
    tree = git(repo, "log", "-1", "--format=%T").strip()
    body = (f"tree {tree}\nauthor a <a@x> 1764000000 +0000\ncommitter a <a@x> 1796177045 +0800\n"
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP SIGNATURE-----\n\nsigned\n")
    (repo.parent / "commit").write_text(body)
    git(repo, "update-ref", "HEAD", git(repo, "hash-object", "-t", "commit", "-w", str(repo.parent / "commit")).strip())
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "gpg.program", program)
    return ["log", "-1", "--format=%cI"]


def setting_hooks_path(repo, program):
    hooks = repo / ".git" / "hooks-here"
    hooks.mkdir()
    shutil.copy(program, hooks / "post-index-change")
    git(repo, "config", "core.hooksPath", str(hooks))
    (repo / "notes.txt").write_text("changed\n")  # so that adding it changes the index, whatever its timestamps
    return ["add", "notes.txt"]


def setting_gitdir_elsewhere(repo, program):
    elsewhere = repository(repo.parent / "elsewhere")
    git(elsewhere, "config", "core.fsmonitor", program)
    shutil.rmtree(repo / ".git")
    (repo / ".git").write_text(f"gitdir: {elsewhere / '.git'}\n")
    return ["status"]


SETTINGS = [setting_upload_pack, setting_ssh_command, setting_ext_transport, setting_fsmonitor,
            setting_included_config, setting_signature_program, setting_hooks_path, setting_gitdir_elsewhere]


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.__name__.removeprefix("setting_") for s in SETTINGS])
def test_a_repository_setting_that_runs_a_command_under_git_runs_nothing_here(tmp_path, trap, setting, monkeypatch):
    program, fired = trap
    repo = repository(tmp_path / "student")
    command = setting(repo, program)
    git(repo, *command, check=False)  # the trap is live: plain git springs it
    assert fired(), f"git {' '.join(command)} did not run the planted program"
    started = []  # the grader starts no program but its own sandboxed worker: never git, nor the planted one
    real = subprocess.Popen.__init__

    def recorded(self, argv, *args, **kwargs):
        started.append([str(part) for part in argv])
        real(self, argv, *args, **kwargs)

    for name in ("system", "posix_spawn", "execv", "execve"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, lambda *a, **k: pytest.fail("a program was started"))
    monkeypatch.setattr(subprocess.Popen, "__init__", recorded)
    found = git_times({"student": repo})
    monkeypatch.undo()
    assert started and not [argv for argv in started if any(Path(part).name in ("git", Path(program).name) or
                                                             str(program) in part for part in argv)], started
    assert not fired()
    if "student" in found.times:  # a setting that does not touch the commit: its time is read as it is
        assert found.times["student"] == git_says(repo) and not found.problems
    else:
        assert found.problems and found.problems[0].startswith("student: no usable commit time ("), found.problems


def test_a_commit_elsewhere_is_not_read(tmp_path):
    elsewhere = repository(tmp_path / "elsewhere", commits_made=2)  # a commit the student's repository lacks
    repo = repository(tmp_path / "student")
    (repo / ".git" / "objects" / "info" / "alternates").write_text(str(elsewhere / ".git" / "objects") + "\n")
    (repo / ".git" / "HEAD").write_text(git(elsewhere, "rev-parse", "HEAD"))
    with pytest.raises(CommitError, match="is not in the repository"):
        commit_time(repo)


def test_a_git_that_is_a_link_to_another_repository_gives_no_time_of_it(tmp_path, monkeypatch):
    """A student's ``.git`` that is a link to another repository (someone else's, whose time suits them) is not
    followed: listing the class refuses it before any reader starts on it, and the reader in the sandbox refuses
    it too; the student has no commit time, said so, and never the other repository's."""
    from grader.classwork import times

    other = repository(tmp_path / "other", commits_made=2)
    student = tmp_path / "student"
    student.mkdir()
    (student / "notes.txt").write_text("mine\n")
    (student / ".git").symlink_to(other / ".git")
    honest = repository(tmp_path / "honest")
    assert git_says(other) != git_says(honest)
    started = []  # the folders a reader was started on
    real = times.commit_of
    monkeypatch.setattr(times, "commit_of", lambda path, *args: started.append(path) or real(path, *args))
    found = git_times({"student": student, "honest": honest})
    assert found.times == {"honest": git_says(honest)}
    assert found.problems == ["student: no usable commit time (its .git is a link to another place, which is not "
                              "read)"], found.problems
    assert started == [honest], started
    with pytest.raises(CommitError, match=r"^its \.git is a link to another place, which is not read$"):
        commit_time(student)  # the reader, where a link got past the listing


# --- times that cannot be used ---------------------------------------------------------------


def plant(repo: Path, committer: str) -> None:
    """A commit whose committer line ends with ``committer`` (time and zone), written as a loose object."""
    tree = git(repo, "log", "-1", "--format=%T").strip()
    body = f"tree {tree}\nauthor a <a@x> 1764000000 +0000\ncommitter a <a@x> {committer}\n\nplanted\n".encode()
    raw = b"commit %d\0" % len(body) + body
    name = sha1(raw).hexdigest()
    folder = repo / ".git" / "objects" / name[:2]
    folder.mkdir(exist_ok=True)
    (folder / name[2:]).write_bytes(zlib.compress(raw))
    (repo / ".git" / "refs" / "heads" / "main").parent.mkdir(parents=True, exist_ok=True)
    (repo / ".git" / "HEAD").write_text(name + "\n")


@pytest.mark.parametrize(("committer", "said"), [
    ("1000000000000000000 +0000", "no usable time"),  # git fsck --strict finds it clean
    ("100000000000000000000 +0000", "no usable time"),
    ("253402300800 +0000", "no usable time"),  # the year 10000
    ("1764000000 +2400", "is not one"),
    ("1764000000 0800", "is not one"),
    ("-1 +0000", "no usable time"),
    ("1764000000", "has no time and zone"),
])
def test_a_commit_time_out_of_range_is_no_usable_time_for_that_student_alone(tmp_path, committer, said):
    bad = repository(tmp_path / "bad")
    plant(bad, committer)
    good = repository(tmp_path / "good")
    found = git_times({"bad": bad, "good": good})
    assert found.times == {"good": git_says(good)}
    assert len(found.problems) == 1 and found.problems[0].startswith("bad: no usable commit time (")
    assert said in found.problems[0], found.problems


def test_a_class_with_an_unusable_commit_time_is_graded_and_names_the_student(tmp_path, mini_copy, cli):
    course = mini_copy
    policy = "    late: {due: 2026-12-01T23:59:00+08:00, penalty: {per: day, percent: 10}}\n"
    (course / "course.yaml").write_text((course / "course.yaml").read_text().replace(
        "  - id: mini\n", "  - id: mini\n" + policy))
    folder = tmp_path / "class"
    for name, committer in (("far", "1000000000000000000 +0000"), ("ok", None)):
        repo = folder / name
        shutil.copytree(course / "solutions", repo)
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "done")
        if committer:
            plant(repo, committer)
    done = cli("grade-all", str(folder), "--out", str(tmp_path / "out"), "--submitted-at", "git", "--no-similarity",
               course=course)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "far: no usable commit time" in done.stderr
    assert "no submission time for 1 of 2 students, so no late penalty for them: far" in done.stderr
    late = json.loads((tmp_path / "out" / "ok" / "results.json").read_text())["extra_data"]["late"]
    assert late is not None and late["penalty"] > 0  # the other student's time was read and applied


# --- what a repository holds, read as git reads it -------------------------------------------------


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_loose_packed_and_deltified_commits_read_as_git_reads_them(tmp_path, object_format):
    repo = repository(tmp_path / "r", commits_made=40, object_format=object_format)
    assert commit_time(repo) == git_says(repo)
    git(repo, "gc", "-q", "--aggressive")
    assert not list((repo / ".git" / "objects").glob("??/*")), "every object is in a pack now"
    assert commit_time(repo) == git_says(repo)
    verified = git(repo, "verify-pack", "-v", *map(str, (repo / ".git" / "objects" / "pack").glob("*.idx")))
    assert any(" commit " in line and len(line.split()) > 5 for line in verified.splitlines()), "no commit delta"
    for back in (3, 17, 39):  # older commits, deeper in their delta chains
        git(repo, "checkout", "-q", git(repo, "rev-parse", f"HEAD~{back}").strip())
        assert commit_time(repo) == git_says(repo)
        git(repo, "checkout", "-q", "-")


def test_commits_deltified_against_a_named_base_and_packed_refs(tmp_path):
    repo = repository(tmp_path / "r", commits_made=30)
    git(repo, "-c", "repack.useDeltaBaseOffset=false", "repack", "-a", "-d", "-q", "-f", "--depth=20")
    git(repo, "pack-refs", "--all")
    assert not list((repo / ".git" / "refs" / "heads").iterdir()), "the branch is in packed-refs only"
    assert commit_time(repo) == git_says(repo)
    git(repo, "checkout", "-q", git(repo, "rev-parse", "HEAD~11").strip())
    assert commit_time(repo) == git_says(repo)


def test_a_delta_is_applied_as_git_defines_it():
    base = b"0123456789" * 10
    # copy 10 bytes from offset 5, insert "xyz", copy 0x10000 (size 0): beyond the base, refused
    delta = bytes([100, 13, 0x80 | 0x01 | 0x10, 5, 10, 3]) + b"xyz"
    assert apply_delta(base, delta) == b"5678901234xyz"
    for broken in (bytes([100, 13, 0x80 | 0x01 | 0x10, 95, 10, 3]) + b"xyz",  # copy past the base's end
                   bytes([99, 13]) + b"x",  # the base's size is wrong
                   bytes([100, 13, 0]),  # a reserved instruction
                   bytes([100, 20, 3]) + b"xyz"):  # shorter than it says
        with pytest.raises(CommitError):
            apply_delta(base, broken)


@pytest.mark.parametrize("damage", ["head_link", "ref_outside", "ref_dots", "objects_link", "inflates_large",
                                    "ref_loop", "huge_head", "not_zlib"])
def test_a_damaged_or_hostile_repository_is_one_line(tmp_path, damage):
    repo = repository(tmp_path / "r")
    dot_git = repo / ".git"
    head = git(repo, "rev-parse", "HEAD").strip()
    if damage == "head_link":
        (dot_git / "HEAD").unlink()
        (dot_git / "HEAD").symlink_to("/etc/hostname")
    elif damage == "ref_outside":
        (dot_git / "HEAD").write_text("ref: /etc/hostname\n")
    elif damage == "ref_dots":
        (dot_git / "HEAD").write_text("ref: refs/../../../../etc/hostname\n")
    elif damage == "objects_link":
        shutil.move(dot_git / "objects", tmp_path / "objects")
        (dot_git / "objects").symlink_to(tmp_path / "objects")
    elif damage == "inflates_large":
        plant(repo, "1764000000 +0000")
        name = (dot_git / "HEAD").read_text().strip()
        raw = b"commit %d\0" % (64 << 20) + b"\0" * (64 << 20)
        (dot_git / "objects" / name[:2] / name[2:]).write_bytes(zlib.compress(raw, 9))
    elif damage == "ref_loop":
        (dot_git / "HEAD").write_text("ref: refs/heads/a\n")
        (dot_git / "refs" / "heads" / "a").write_text("ref: refs/heads/b\n")
        (dot_git / "refs" / "heads" / "b").write_text("ref: refs/heads/a\n")
    elif damage == "huge_head":
        (dot_git / "HEAD").write_text("ref: refs/heads/main\n" + "x" * (1 << 20))
    elif damage == "not_zlib":
        folder = dot_git / "objects" / head[:2]
        (folder / head[2:]).chmod(0o644)
        (folder / head[2:]).write_bytes(os.urandom(200))
    said = within(20, refusal, repo)
    assert said is not None and "\n" not in said and len(said) < 200, said


def refusal(repo: Path) -> str | None:
    """Why no commit time is read from ``repo`` (None: one is)."""
    try:
        commit_time(repo)
    except CommitError as error:
        return str(error)
    return None


def _size_header(kind: int, size: int) -> bytes:
    out = bytearray([(kind << 4) | (size & 15)])
    size >>= 4
    while size:
        out[-1] |= 0x80
        out.append(size & 0x7F)
        size >>= 7
    return bytes(out)


def _varint(value: int) -> bytes:
    out = bytearray([value & 0x7F])
    value >>= 7
    while value:
        out[-1] |= 0x80
        out.append(value & 0x7F)
        value >>= 7
    return bytes(out)


def _back(distance: int) -> bytes:
    out = [distance & 0x7F]
    distance >>= 7
    while distance:
        distance -= 1
        out.insert(0, 0x80 | (distance & 0x7F))
        distance >>= 7
    return bytes(out)


def _insert_all(base: bytes, target: bytes) -> bytes:
    """A delta from ``base`` to ``target`` that inserts every byte (valid, if not small)."""
    chunks = [target[i:i + 127] for i in range(0, len(target), 127)]
    return _varint(len(base)) + _varint(len(target)) + b"".join(bytes([len(c)]) + c for c in chunks)


def write_pack(repo: Path, entries: list[tuple[str, bytes, int | str | None]]) -> None:
    """A pack (and its version 2 index) of ``entries``: (name, whole object, how it is stored): None whole; an
    index of an earlier entry, a delta against it by offset; a name, a delta against that object by name."""
    import struct

    pack, offsets, crcs = bytearray(b"PACK" + struct.pack(">2L", 2, len(entries))), {}, {}
    wholes = {name: raw for name, raw, _ in entries}
    for name, raw, stored in entries:
        offsets[name] = len(pack)
        if stored is None:
            record = _size_header(1, len(raw)) + zlib.compress(raw)
        else:
            base_name = entries[stored][0] if isinstance(stored, int) else stored
            delta = _insert_all(wholes.get(base_name, b""), raw)
            via = _back(len(pack) - offsets[base_name]) if isinstance(stored, int) else bytes.fromhex(stored)
            record = _size_header(6 if isinstance(stored, int) else 7, len(delta)) + via + zlib.compress(delta)
        crcs[name] = zlib.crc32(record)
        pack += record
    checksum = sha1(pack).digest()
    pack += checksum
    names = sorted(offsets)
    fanout = [sum(1 for n in names if int(n[:2], 16) <= byte) for byte in range(256)]
    index = bytearray(b"\xfftOc" + struct.pack(">L", 2) + struct.pack(">256L", *fanout))
    index += b"".join(bytes.fromhex(n) for n in names)
    index += b"".join(struct.pack(">L", crcs[n]) for n in names)
    index += b"".join(struct.pack(">L", offsets[n]) for n in names) + checksum
    index += sha1(index).digest()
    folder = repo / ".git" / "objects" / "pack"
    (folder / f"pack-{checksum.hex()}.pack").write_bytes(bytes(pack))
    (folder / f"pack-{checksum.hex()}.idx").write_bytes(bytes(index))


def chain(repo: Path, length: int) -> list[tuple[str, bytes]]:
    """``length`` commits, each a child of the one before, as (name, body); none is written anywhere yet."""
    tree = git(repo, "log", "-1", "--format=%T").strip()
    made: list[tuple[str, bytes]] = []
    for index in range(length):
        parent = f"parent {made[-1][0]}\n" if made else ""
        body = (f"tree {tree}\n{parent}author a <a@x> 1764000000 +0000\n"
                f"committer a <a@x> {1764000000 + 60 * index} +0100\n\ncommit {index}\n").encode()
        made.append((sha1(b"commit %d\0" % len(body) + body).hexdigest(), body))
    return made


def test_a_delta_chain_is_read_to_its_bound_and_no_further(tmp_path, monkeypatch):
    repo = repository(tmp_path / "r")
    made = chain(repo, 12)
    write_pack(repo, [(name, body, index - 1 if index else None) for index, (name, body) in enumerate(made)])
    (repo / ".git" / "HEAD").write_text(made[-1][0] + "\n")
    assert git(repo, "cat-file", "-t", "HEAD").strip() == "commit"  # git reads the pack as we wrote it
    assert commit_time(repo) == git_says(repo) == datetime(2025, 11, 24, 17, 11, tzinfo=timezone(timedelta(hours=1)))
    monkeypatch.setattr(commits, "MAX_DELTA_DEPTH", 10)  # the tip is 11 deltas from its whole base
    assert refusal(repo) == "a delta chain is longer than 10"
    (repo / ".git" / "HEAD").write_text(made[-2][0] + "\n")  # 10 deltas: read
    assert commit_time(repo) == git_says(repo)


def test_deltas_by_name_that_loop_are_refused(tmp_path):
    repo = repository(tmp_path / "r")
    (first, first_body), (second, second_body) = chain(repo, 2)
    write_pack(repo, [(first, first_body, second), (second, second_body, first)])  # each the other's base
    (repo / ".git" / "HEAD").write_text(second + "\n")
    assert within(20, refusal, repo) == f"a delta chain is longer than {commits.MAX_DELTA_DEPTH}"


def test_commit_time_of_a_folder_that_is_no_repository(tmp_path):
    (tmp_path / "plain").mkdir()
    found = git_times({"plain": tmp_path / "plain", "file": Path(sys.executable)})
    assert found.problems == ["plain: not a git repository", "file: not a git repository"]


def test_a_commit_time_keeps_its_zone():
    moment = commits.committer_time(b"tree x\ncommitter a <a@x> 1764000000 -0330\n\nm\n")
    assert moment == datetime(2025, 11, 24, 16, 0, tzinfo=timezone.utc)
    assert moment.utcoffset() == -timedelta(hours=3, minutes=30)


def hostile_repository(repo: Path, packs: int = 254) -> Path:
    """HEAD names a commit stored as a delta based on itself, in a pack that sorts after ``packs`` sparse indexes
    which each claim 2^31 objects: every lookup bisects each of them, and the delta names its commit again and
    again. Read as it once was, it took 14 to 21 s of the grader's own time, before any grading began."""
    import struct

    (first, body), = chain(repo, 1)
    write_pack(repo, [(first, body, first)])  # a delta by name against itself
    folder = repo / ".git" / "objects" / "pack"
    real = next(folder.glob("*.pack"))
    for suffix in (".pack", ".idx"):
        real.with_suffix(suffix).rename(folder / f"pack-{'f' * 40}{suffix}")  # sorted last
    claimed = 1 << 31
    for index in range(packs):
        name = folder / f"pack-{index:040x}"
        with open(name.with_suffix(".idx"), "wb") as handle:
            fanout = [0 if byte < int(first[:2], 16) else claimed for byte in range(256)]  # all before it
            handle.write(b"\xfftOc" + struct.pack(">L", 2) + struct.pack(">256L", *fanout))
            handle.truncate(8 + 1024 + claimed * 28 + 40)  # as long as it says: sparse
        name.with_suffix(".pack").write_bytes(b"PACK" + struct.pack(">2L", 2, 0))
    (repo / ".git" / "HEAD").write_text(first + "\n")
    return repo


def test_a_hostile_repository_costs_a_bounded_read_in_the_sandbox_and_no_one_elses_time(tmp_path):
    import resource

    hostile = [hostile_repository(repository(tmp_path / f"hostile{index}")) for index in range(2)]
    said = within(60, refusal, hostile[0])
    assert said == f"a delta chain is longer than {commits.MAX_DELTA_DEPTH}", said  # each object is looked for once
    good = [repository(tmp_path / f"good{index}") for index in range(3)]
    before = resource.getrusage(resource.RUSAGE_SELF)
    found = git_times({path.name: path for path in hostile + good})  # each within COMMIT_SECONDS
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert found.times == {path.name: git_says(path) for path in good}
    assert found.problems == [f"hostile{index}: no usable commit time (a delta chain is longer than "
                              f"{commits.MAX_DELTA_DEPTH})" for index in range(2)]
    # read in sandboxed workers: the grader's own process only starts them and waits
    assert after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime < 5


def test_the_reads_of_one_commit_are_bounded_however_many_packs_claim_it(tmp_path, monkeypatch):
    monkeypatch.setattr(commits, "MAX_READS", 500)
    hostile = hostile_repository(repository(tmp_path / "hostile"), packs=40)  # 40 x 31 bisection steps
    assert within(60, refusal, hostile) == "its packs take more than 500 reads to find one commit"
