"""Reading a user's text file with one-line errors that say which file and what to do."""

from __future__ import annotations

from pathlib import Path

from .errors import ReachmixError


def read_text(path: str | Path, error: type[ReachmixError], *, what: str, fix_path: str = "check the path",
              directory: str, save_as: str) -> str:
    """UTF-8 text of ``path`` (a byte-order mark is dropped: Windows editors write one).

    ``what`` names the file in messages ("scenario", "pool file"), ``fix_path`` says how to
    point at the right file, ``directory`` what to say when the path is a folder, and
    ``save_as`` what to save the file as when it is not UTF-8 ("the CSV").
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: {what} not found; {fix_path}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory; {directory}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except ValueError:  # e.g. a NUL byte in the path
        raise error(f"{path}: is not a valid file path; {fix_path}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte {exc.start} is not UTF-8; save {save_as} as UTF-8") from None
