"""Files encrypted at rest, written and read piece by piece (report exports built in the
background; any file the portal keeps for a while that holds registry data).

Fernet (portal/crypto.py's keys: CAMERA_CREDENTIALS_KEY, the first encrypts, every key decrypts)
encrypts a whole message in memory, so a file is a sequence of pieces: each piece is at most
PIECE_SIZE bytes of plain data, sealed as one Fernet token on its own line. Each token's plain
text starts with the piece's number and a last-piece flag, so a file whose pieces were dropped,
swapped or cut off is refused instead of being read short. Memory is one piece, whatever the
size of the file.

After a key rotation a file sealed with a removed key can no longer be read (UnreadableFile):
these files live for hours (EXPORT_RETENTION_HOURS), keys for months.
"""

import os
import struct

from cryptography.fernet import InvalidToken

from portal.crypto import fernet, fernet_first

PIECE_SIZE = 1024 * 1024
_HEADER = struct.Struct(">IB")  # piece number, 1 on the last piece


class UnreadableFile(ValueError):
    """The file does not decrypt with the configured keys, or is not whole."""


class SealedWriter:
    """A binary file-like object that seals what is written to `path` (created with mode 0600).

    Use as a context manager; the file is complete only once closed without an error (an error
    inside the block removes it).
    """

    def __init__(self, path):
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._buffer = bytearray()
        self._pieces = 0
        self.size = 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) > PIECE_SIZE:
            self._seal(bytes(self._buffer[:PIECE_SIZE]), last=False)
            del self._buffer[:PIECE_SIZE]
        return len(data)

    def copy_from(self, source):
        """Seal the whole of the binary file `source`, piece by piece."""
        while piece := source.read(PIECE_SIZE):
            self.write(piece)

    def _seal(self, data, *, last):
        token = fernet().encrypt(_HEADER.pack(self._pieces, int(last)) + data)
        self._file.write(token + b"\n")
        self._pieces += 1

    def close(self):
        if self._file.closed:
            return
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._file.close()
            remove(self.path)


def read_sealed(path):
    """The plain content of a sealed file, piece by piece (a generator of bytes).

    Raises UnreadableFile (while iterating) when a piece does not decrypt or is missing; the
    first piece is checked as soon as the generator starts, so a caller can try it first.
    """
    expected = 0
    with open(path, "rb") as fh:
        for line in fh:
            try:
                plain = fernet().decrypt(line.rstrip(b"\n"))
            except InvalidToken as exc:
                raise UnreadableFile("a piece of the file does not decrypt") from exc
            number, last = _HEADER.unpack_from(plain)
            if number != expected:
                raise UnreadableFile("the pieces of the file are out of order")
            expected += 1
            yield plain[_HEADER.size :]
            if last:
                return
    raise UnreadableFile("the file was cut short")


def remove(path):
    """Delete the file if it is there."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def reseal(path):
    """Re-seal the file at `path` with the first key (a key rotation); False when it already
    uses it. Each piece is re-encrypted inside the crypto library (Fernet's rotate), never
    handed out in clear; the new file replaces the old one atomically."""
    first = fernet_first()
    with open(path, "rb") as fh:
        tokens = [line.rstrip(b"\n") for line in fh if line.strip()]
    try:
        for token in tokens:
            first.decrypt(token)
        return False
    except InvalidToken:
        pass
    try:
        resealed = [fernet().rotate(token) for token in tokens]
    except InvalidToken as exc:
        raise UnreadableFile("a piece of the file does not decrypt") from exc
    temporary = f"{path}.rotating"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join(token + b"\n" for token in resealed))
    os.replace(temporary, path)
    return True
