"""Reading a user's files and writing ours without ever losing one.

Reading (``open_input``, ``read_text``): only regular files are read. The file is opened without
blocking and checked with ``fstat`` on the open descriptor, so a FIFO cannot hang the command and a
device (``/dev/zero``), socket or directory gets a one-line error; a file too large for the memory
budget (``limits``) is refused with its size before it is read.

Writing (``atomic_write_bytes``, ``atomic_write_text``): the data goes to a temporary file in the
target's folder, is flushed and fsynced, and ``os.replace`` renames it over the target (then the
folder is fsynced), so a reader sees the old file or the new one, never a part, and a write that
fails or is interrupted (disk full, size limit, Ctrl-C, SIGTERM) leaves the old file as it was and
no temporary file behind.

Guarding (``check_output``, ``check_out_dir``): an output that is one of the command's inputs is
refused (same resolved path, or same device and inode: hard links, symlinks, ``..``), and an
existing file is replaced only when reachmix wrote it, or with ``force=True`` (``--force``).
"reachmix wrote it" is known from a small registry in the state folder (``$REACHMIX_STATE_DIR``,
else ``$XDG_STATE_HOME/reachmix``, else ``~/.local/state/reachmix``): every write records the
file's real path, size, modification time (ns) and SHA-256; a file edited since no longer counts.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import ReachmixError, said
from .errors import option as named
from .limits import READ_OVERHEAD, format_bytes, memory_limit

#: Registry entries kept (the most recently written files); older ones are forgotten.
REGISTRY_ENTRIES = 2000
REGISTRY_NAME = "written.json"


class OutputError(ReachmixError):
    """An output cannot or may not be written (it is an input, a foreign file, an unwritable folder)."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_input(path: str | Path, error: type[ReachmixError], *, what: str, fix_path: str = "check the path",
               directory: str = "give a file, not a folder") -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file within the memory budget.

    Never blocks (a FIFO is refused, not read). Messages: ``<path>: <what> not found; <fix_path>``,
    ``<path>: is a directory; <directory>``, ``<path>: is a FIFO (named pipe), not a regular file; ...``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found; {fix_path}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory; {directory}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except ValueError:  # e.g. a NUL byte in the path
        raise error(f"{path}: is not a valid file path; {fix_path}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path}: is a directory; {directory}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: is {_kind(info.st_mode)}, not a regular file; give the {what} as a file saved "
                        "on disk")
        limit, source = memory_limit()
        if info.st_size * READ_OVERHEAD > limit:
            raise error(f"{path}: the {what} is {format_bytes(info.st_size)}; reading it needs about "
                        f"{READ_OVERHEAD}x that, more than the memory limit of {format_bytes(limit)} ({source})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str | Path, error: type[ReachmixError], *, what: str, fix_path: str = "check the path",
              directory: str, save_as: str) -> str:
    """UTF-8 text of ``path`` (a byte-order mark is dropped: Windows editors write one).

    ``what`` names the file in messages ("scenario", "pool file"), ``fix_path`` says how to
    point at the right file, ``directory`` what to say when the path is a folder, and
    ``save_as`` what to save the file as when it is not UTF-8 ("the CSV"). Only regular files
    within the memory budget are read (see ``open_input``).
    """
    with open_input(path, error, what=what, fix_path=fix_path, directory=directory) as fh:
        try:
            data = fh.read()
        except OSError as exc:
            raise error(f"{path}: cannot read the {what} ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte {exc.start} is not UTF-8; save {save_as} as UTF-8") from None


# --------------------------------------------------------------------------------------------
# The registry of files reachmix wrote

def state_dir() -> Path:
    """Where reachmix keeps its state (the registry of written files)."""
    if os.environ.get("REACHMIX_STATE_DIR"):
        return Path(os.environ["REACHMIX_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "reachmix"


@contextlib.contextmanager
def _registry_lock():
    """An exclusive lock on the registry while it is read, changed and rewritten (several reachmix
    commands may finish at once). Without fcntl (Windows) the last writer wins: entries can only be
    lost, which costs a --force, never data."""
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / (REGISTRY_NAME + ".lock"), "a+b") as fh:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except ImportError:
            pass
        yield folder / REGISTRY_NAME


def _load_registry(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # a missing or damaged registry only means files count as foreign


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _remember(real: str, sha256: str) -> None:
    try:
        info = os.stat(real)
        with _registry_lock() as path:
            entries = _load_registry(path)
            entries.pop(real, None)  # re-inserted last: the most recent entries are kept
            entries[real] = [info.st_size, info.st_mtime_ns, sha256]
            if len(entries) > REGISTRY_ENTRIES:
                entries = dict(list(entries.items())[-REGISTRY_ENTRIES:])
            _replace(str(path), json.dumps(entries).encode("utf-8"))
    except OSError:
        pass  # no writable state folder: the write itself succeeded; replacing it later needs --force


def written_by_reachmix(path: str | Path) -> bool:
    """Whether ``path`` is a file reachmix wrote and nobody changed since (size, mtime and SHA-256)."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
        entry = _load_registry(state_dir() / REGISTRY_NAME).get(real)
        if not entry or entry[0] != info.st_size or entry[1] != info.st_mtime_ns:
            return False
        return _sha256_file(real) == entry[2]
    except (OSError, TypeError, IndexError):
        return False


# --------------------------------------------------------------------------------------------
# Guards

def _same_file(a: str | Path, b: str | Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_output(path: str | Path | None, *, inputs: Iterable[str | Path | None] = (), force: bool = False,
                 option: str = "output") -> None:
    """Refuse to write ``path`` when it is one of ``inputs``, or an existing file reachmix did not write
    (unless ``force``). A path that does not exist yet is always fine; ``None`` is ignored. ``option``
    is the setting that gave ``path`` ("output", or "--output" alike: named for the caller, see
    ``scenarios.errors.option``)."""
    if path is None:
        return
    for source in inputs:
        if source is not None and _same_file(path, source):
            raise OutputError(f"{named(option, path)} is the input file {source}; writing there would destroy it; "
                              f"give {named(option)} another file name")
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return  # does not exist (or cannot be seen): nothing to lose; a bad folder is reported at write time
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{named(option, path)} is a directory; give a file name")
    if force or not stat.S_ISREG(info.st_mode) or written_by_reachmix(path):
        return  # /dev/null, /dev/stdout and pipes are written as streams
    raise OutputError(f"{named(option, path)} already exists and reachmix did not write it (or it was edited "
                      f"since); add {named('force', True)} to replace it, or choose another file name")


def check_out_dir(folder: str | Path, names: Iterable[str], *, force: bool = False, option: str = "out") -> None:
    """Refuse an ``out`` folder that already holds some of ``names`` (files reachmix writes there)
    that reachmix did not write, unless ``force``; a path that is a file is refused always."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        give = said(f"give {named(option)} a directory", f"pass a directory as {named(option)}")
        raise OutputError(f"{folder}: is a file, not a directory; {give}")
    if force:
        return
    held = [n for n in names if (folder / n).exists() and not written_by_reachmix(folder / n)]
    if held:
        one = len(held) == 1
        raise OutputError(f"{named(option, folder)} already holds {' and '.join(held)}, which reachmix did not write "
                          f"(or which {'was' if one else 'were'} edited since); choose another {named(option)} folder, "
                          f"or add {named('force', True)} to replace {'it' if one else 'them'}")


# --------------------------------------------------------------------------------------------
# Atomic writes

def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not possible on every system (Windows); the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _replace(target: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, fsync it and rename it over ``target``."""
    folder, name = os.path.split(target)
    folder = folder or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".reachmix-tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:  # incl. KeyboardInterrupt and a SIGTERM turned into an exception
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str | Path, data: bytes, *, what: str = "the output") -> None:
    """Replace ``path`` with ``data`` atomically and record it as written by reachmix.

    A symbolic link is followed (its target is replaced, the link kept); an existing non-regular
    target such as ``/dev/null`` or a pipe is written as a stream. ``OSError`` becomes an
    ``OutputError`` naming ``path`` and ``what``; any failure leaves the old file intact.
    """
    real = os.path.realpath(path)
    try:
        try:
            info = os.stat(real)
        except FileNotFoundError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{path}: is a directory; give a file name for {what}")
        if info is not None and not stat.S_ISREG(info.st_mode):
            with open(real, "wb") as fh:
                fh.write(data)
            return
        _replace(real, data)
    except OSError as exc:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else \
            "the file size limit was reached" if exc.errno == errno.EFBIG else exc.strerror or str(exc)
        raise OutputError(f"{path}: cannot write {what} ({reason}); the previous file, if any, is unchanged; "
                          "check the folder exists and is writable") from None
    _remember(real, hashlib.sha256(data).hexdigest())


def atomic_write_text(path: str | Path, text: str, *, what: str = "the output") -> None:
    """``atomic_write_bytes`` of ``text`` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), what=what)
