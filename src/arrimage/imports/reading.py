"""Read a CSV file as people export it: encoding, delimiter, header names and streamed records.

The file is read twice, never whole. The first pass hashes it (the hash identifies the file
for resuming and de-duplication) and checks whether it is UTF-8. The second pass parses it
with :mod:`csv`, which keeps quoted line breaks inside their field.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from arrimage.engine.errors import ArrimageError
from arrimage.i18n import LazyText, _l

READ_BYTES = 1 << 20
SNIFF_CHARS = 64 * 1024
SNIFF_RECORDS = 20
DELIMITERS = (",", ";", "\t")
UTF8_BOM = codecs.BOM_UTF8
# A field larger than csv's default limit (128 KiB) is most often an unclosed quote. 10 MiB
# still accepts long notes.
MAX_FIELD_CHARS = 10 * 1024 * 1024

# The fields a column can fill, in the order the mapping table lists them.
IMPORT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "gender",
    "language",
    "birthdate",
    "postal_code",
    "country",
    "note",
    "groups",
    "consent_date",
    "consent_proof",
)
IGNORED = "-"

# Header names matched to each field, compared after removing accents, case and punctuation.
# They cover French and English exports of Excel, Shopify and common CRMs. "Nom" alone is a
# last name in French, so a bare English "Name" (a full name) is left unmatched.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "courriel", "adresse courriel", "courriel principal", "email", "e mail", "mail",
        "adresse email", "adresse e mail", "adresse electronique", "email address",
        "e mail address", "primary email", "work email", "customer email", "courriel du client",
    ),
    "first_name": ("prenom", "first name", "firstname", "given name", "customer first name"),
    "last_name": (
        "nom", "nom de famille", "last name", "lastname", "surname", "family name",
        "customer last name",
    ),
    "company": (
        "entreprise", "compagnie", "societe", "organisation", "organization", "organisme",
        "company", "company name", "nom de l entreprise", "default address company",
    ),
    "gender": ("sexe", "genre", "gender", "sex"),
    "language": (
        "langue", "langue de communication", "langue preferee", "language",
        "preferred language", "lang", "locale",
    ),
    "birthdate": (
        "date de naissance", "naissance", "anniversaire", "birthdate", "birth date",
        "date of birth", "birthday", "dob",
    ),
    "postal_code": (
        "code postal", "postal code", "postalcode", "zip", "zip code", "zipcode", "postcode",
        "default address zip", "billing zip",
    ),
    "country": (
        "pays", "country", "country code", "code pays", "code du pays",
        "default address country code", "default address country", "billing country",
    ),
    "note": ("note", "notes", "commentaire", "commentaires", "comment", "comments", "remarque"),
    "groups": ("groupes", "groupe", "groups", "group", "listes", "lists"),
    "consent_date": ("date de consentement", "date du consentement", "consent date"),
    "consent_proof": ("preuve de consentement", "preuve du consentement", "consent proof"),
}
_ALIAS_FIELDS = {alias: key for key, aliases in FIELD_ALIASES.items() for alias in aliases}


class ImportFileError(ArrimageError):
    """The file or the import's options cannot be used. The message names what to change."""

    code = "import_file_invalid"


@dataclass(frozen=True)
class FileFacts:
    """Facts from the first pass: the SHA-256 of the bytes, the encoding and the size."""

    sha256: str
    encoding: str
    size: int

    @property
    def encoding_label(self) -> str:
        """The encoding's usual name, for messages."""
        return {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 (BOM)",
            "cp1252": "Windows-1252",
        }[self.encoding]


@dataclass(frozen=True)
class ColumnMatch:
    """One column of the header: its position and name, and the field it fills or None."""

    index: int
    header: str
    field: str | None
    # "header" (matched by name), "option" (--map), "duplicate" (field taken by an earlier
    # column) or "unknown" (no field has this name).
    source: str


@dataclass(frozen=True)
class ColumnMapping:
    """The header's columns matched to fields."""

    columns: tuple[ColumnMatch, ...]

    def field_index(self) -> dict[str, int]:
        """Return the position of the column of each mapped field."""
        return {match.field: match.index for match in self.columns if match.field}

    def as_dict(self) -> dict[str, str | None]:
        """Return header → field, the form stored in the progress file."""
        return {match.header: match.field for match in self.columns}


@dataclass
class SourceRow:
    """One record: its spreadsheet row number (the header is row 1) and its values."""

    number: int
    values: dict[str, str]
    columns: dict[str, str]
    warnings: list[LazyText] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether every cell is blank."""
        # Mapped values are trimmed already, so one of them settles most rows.
        if any(self.values.values()):
            return False
        return not any(value.strip() for value in self.columns.values())

    def payload(self, file_name: str) -> dict[str, Any]:
        """Return the row as trigger data: each column by its header, each mapped field by its key.

        ``source_file`` and ``source_row`` tell where the row comes from.
        """
        data: dict[str, Any] = dict(self.columns)
        data.update(self.values)
        data["source_file"] = file_name
        data["source_row"] = self.number
        return data


def inspect_file(path: Path) -> FileFacts:
    """Hash the file and pick its encoding: UTF-8 (with or without BOM), else Windows-1252."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    first_bytes = b""
    size = 0
    try:
        with path.open("rb") as source:
            while chunk := source.read(READ_BYTES):
                if not first_bytes:
                    first_bytes = chunk[:3]
                digest.update(chunk)
                size += len(chunk)
                if is_utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        is_utf8 = False
            if is_utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    is_utf8 = False
    except FileNotFoundError as exc:
        raise ImportFileError(_l("File not found: {path}.", path=path)) from exc
    except IsADirectoryError as exc:
        raise ImportFileError(_l("{path} is a folder, not a CSV file.", path=path)) from exc

    if size == 0:
        raise ImportFileError(_l("{path} is empty.", path=path))
    if first_bytes == UTF8_BOM:
        encoding = "utf-8-sig" if is_utf8 else "cp1252"
    else:
        encoding = "utf-8" if is_utf8 else "cp1252"
    if encoding == "cp1252":
        _check_cp1252(path)
    return FileFacts(sha256=digest.hexdigest(), encoding=encoding, size=size)


def _check_cp1252(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    with path.open("rb") as source:
        while chunk := source.read(READ_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                byte = "0x%02X" % chunk[exc.start]
                raise ImportFileError(_l(
                    "{path} is neither UTF-8 nor Windows-1252 text (byte {byte} at position "
                    "{position}). Save it again as CSV UTF-8.",
                    path=path, byte=byte, position=offset + exc.start,
                )) from exc
            offset += len(chunk)


def sniff_delimiter(path: Path, encoding: str) -> str:
    """Return the delimiter (comma, semicolon or tab) that splits the first records evenly.

    Each candidate parses the start of the file. The winner gives the most records with as
    many fields as the header, then the widest header. A file with a single column reads as
    comma-separated.
    """
    with path.open("r", encoding=encoding, newline="") as source:
        sample = source.read(SNIFF_CHARS)
    best = (",", (0, 0))
    for delimiter in DELIMITERS:
        records = _sample_records(sample, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(1 for record in records[1:] if len(record) == width), width)
        if score > best[1]:
            best = (delimiter, score)
    return best[0]


def _sample_records(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    # The sample may stop inside the last record, so that record is not counted.
    return records[:-1] if len(records) > 1 else records


def header_key(text: str) -> str:
    """Return a header name without accents, case, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", plain.casefold()).strip()


def match_headers(headers: list[str], overrides: Mapping[str, str]) -> ColumnMapping:
    """Match each header to a field; ``overrides`` (header → field or ``-``) come first.

    Raises :class:`ImportFileError` for an override that names no header or no field, and for
    two columns given the same field.
    """
    by_key = {header_key(header): index for index, header in enumerate(headers)}
    chosen: dict[int, str | None] = {}
    for header, target in overrides.items():
        index = by_key.get(header_key(header))
        if index is None:
            raise ImportFileError(_l(
                "The option --map names the column \"{column}\", which the file does not have. "
                "Columns: {columns}.", column=header, columns=", ".join(headers)))
        target = target.strip()
        if target != IGNORED and target not in IMPORT_FIELDS:
            raise ImportFileError(_l(
                "The option --map gives the column \"{column}\" the field \"{field}\", which does not "
                "exist. Use one of {fields}, or - to leave the column out.",
                column=header, field=target, fields=", ".join(IMPORT_FIELDS)))
        chosen[index] = None if target == IGNORED else target

    taken = [target for target in chosen.values() if target]
    for target in set(taken):
        if taken.count(target) > 1:
            raise ImportFileError(_l(
                "The option --map gives several columns the field {field}: keep one.",
                field=target))

    used = set(taken)
    matches: list[ColumnMatch] = []
    for index, header in enumerate(headers):
        if index in chosen:
            matches.append(ColumnMatch(index, header, chosen[index], "option"))
            continue
        target = _ALIAS_FIELDS.get(header_key(header))
        if target is None:
            matches.append(ColumnMatch(index, header, None, "unknown"))
        elif target in used:
            matches.append(ColumnMatch(index, header, None, "duplicate"))
        else:
            used.add(target)
            matches.append(ColumnMatch(index, header, target, "header"))
    return ColumnMapping(tuple(matches))


def parse_map_options(options: list[str]) -> dict[str, str]:
    """Read ``--map "Column=field"`` options into column → field."""
    overrides: dict[str, str] = {}
    for option in options:
        header, separator, target = option.rpartition("=")
        if not separator or not header.strip():
            raise ImportFileError(_l(
                "Invalid --map value \"{value}\": write \"Column=field\", such as "
                "\"Courriel 2=email\", or \"Column=-\" to leave a column out.", value=option))
        overrides[header.strip()] = target.strip()
    return overrides


class _CountingReader(io.RawIOBase):
    """A raw binary stream that counts the bytes read, for the progress bar."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


class CsvSource:
    """The records of a CSV file, read one at a time. Use as a context manager."""

    def __init__(self, path: Path, encoding: str, delimiter: str) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self._binary = path.open("rb")
        self._counter = _CountingReader(self._binary)
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter), encoding=encoding, newline=""
        )
        csv.field_size_limit(MAX_FIELD_CHARS)
        self._reader = csv.reader(self._text, delimiter=delimiter)
        try:
            self.headers = [header.strip() for header in next(self._reader)]
        except StopIteration:
            self.close()
            raise ImportFileError(_l("{path} has no header row.", path=path)) from None
        except csv.Error as exc:
            self.close()
            raise _csv_error(path, 1, exc) from exc
        if not any(self.headers):
            self.close()
            raise ImportFileError(_l(
                "The first row of {path} is empty. It must name the columns, such as Courriel.",
                path=path))

    @property
    def bytes_read(self) -> int:
        """Bytes read from the file so far (read ahead of the records by up to 8 KiB)."""
        return self._counter.bytes_read

    def rows(self, mapping: ColumnMapping) -> Iterator[SourceRow]:
        """Yield every record after the header, with its mapped values."""
        fields = mapping.field_index()
        width = len(self.headers)
        number = 1
        while True:
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_error(self.path, number + 1, exc) from exc
            number += 1
            if not record:
                # csv returns [] for a blank line, which counts as an empty row.
                record = [""] * width
            row = SourceRow(
                number=number,
                values={key: record[index].strip() if index < len(record) else ""
                        for key, index in fields.items()},
                columns={header: (record[index] if index < len(record) else "")
                         for index, header in enumerate(self.headers)},
            )
            extra = [value for value in record[width:] if value.strip()]
            if extra:
                row.warnings.append(_l(
                    "The row has {count} more values than the header has columns. They are "
                    "left out.", count=len(extra)))
            yield row

    def close(self) -> None:
        """Close the file."""
        self._binary.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _csv_error(path: Path, row: int, exc: csv.Error) -> ImportFileError:
    return ImportFileError(_l(
        "{path} cannot be read as CSV near row {row}: {problem}. Check for an unclosed quote.",
        path=path, row=row, problem=str(exc)))
