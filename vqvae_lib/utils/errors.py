"""The errors a user fixes rather than a programmer: the command line prints each as one
line and exits 2, never as a traceback."""

from __future__ import annotations

import errno


class KitError(Exception):
    """A problem with the user's files, settings or folders; the message names the file
    and says what to do."""


# Errors of the operating system that mean "this folder cannot be written here".
READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def describe_os_error(exc: OSError) -> str | None:
    """One line for a folder or file the kit may not write (None for other OS errors)."""
    if exc.errno not in READ_ONLY_ERRNOS:
        return None
    where = exc.filename or "a file"
    return (f"{where}: {exc.strerror.lower() if exc.strerror else 'not writable'}; the kit "
            "writes its runs there. Make the folder writable, or choose another with "
            "--outputs (or $VQVAE_KIT_OUTPUTS)")


__all__ = ["KitError", "READ_ONLY_ERRNOS", "describe_os_error"]
