"""Personal data in free text: names, document numbers, phones, e-mails and street addresses.

A pure detector (no database, no Streamlit): `find_personal_data(text, field)` returns what
looks personal in one field's text; services/cases/records.py refuses a write that has any finding.

The rules, chosen to catch what identifies a victim while leaving ordinary case notes alone:

- **E-mail addresses**: anything shaped like `name@domain.tld`.
- **Document numbers**: a number after a document word (DNI, CI, C.I., RUT, RUN, CPF, RG,
  CNPJ, CUIT, CUIL, NIT, RUC, CC, CE, cédula, documento, pasaporte, passport, carné…); a
  number that passes a check-digit validator of python-stdnum (Brazil's CPF/CNPJ, Argentina's
  CUIT, Peru's RUC, Uruguay's RUT; Chile's RUT, Colombia's NIT, Paraguay's RUC and Peru's CUI
  only when written with the dash before the check digit, as they are: one check digit alone
  matches one number in eleven); a dotted identity number such as 34.567.890 or 1.234.567-8
  unless a currency is written next to it (an amount: "1.500.000 guaraníes"); and a
  passport-like code of one to three capitals and six to nine digits (AAB123456).
- **Phone numbers**: `phonenumbers.PhoneNumberMatcher` with each region of the programme
  (AR BO BR CL CO PY PE UY), after blanking case codes (AR-2026-0007) and dates.
- **Street addresses**: a street word (calle, av., avenida, pasaje, jirón, carrera, rua,
  travessa, alameda, street, road, avenue…) followed within a few words by a house number
  (not by "3 days" or "2 km"), or an English "12 Main Street".
- **Names**, from the lists in personal_names.txt (accent- and case-insensitive):
  - the alias (`person_alias`) is refused when any word of it is a listed given name or
    surname ("Maria", "Gonzalez"), or when it has two name-shaped words ("Ma Gonzalez") or two
    words of three letters or more: initials ("M.G.", "MG") and codes ("P-07") pass;
  - in other text: a capitalised given name, alone ("her friend Maria asked") or followed by
    more capitalised words, possibly after de/da/do/del ("Juan Pérez", "María Fernanda",
    "João da Silva", taken whole as one finding); a courtesy title
    followed by a capitalised word ("Sr. Pérez", "Doña Rosa"); an initial followed by a listed
    surname ("J. Pérez"). A name inside an institution's or a place's name is not a person:
    one preceded, in the same run of capitalised words, by a word such as Fundación, Hospital,
    Programa, Centro, San, Santa, São, Calle, Rua ("Fundación María de los Ángeles",
    "Hospital de Clínicas José de San Martín", "São Paulo"). Given names that are also places
    or ordinary words (Santiago, Asunción, Rosario, Paz, Luz, Julio...) count only before a
    listed surname ("Rosario Gómez"); places named after people ("Pedro Juan Caballero",
    "Mariano Roque Alonso") are listed and never names.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import phonenumbers
from stdnum.ar import cuit as ar_cuit
from stdnum.br import cnpj as br_cnpj
from stdnum.br import cpf as br_cpf
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.pe import cui as pe_cui
from stdnum.pe import ruc as pe_ruc
from stdnum.py import ruc as py_ruc
from stdnum.uy import rut as uy_rut

from services.platform.errors import Conflict
from services.platform.i18n import N_, _

NAMES_FILE = Path(__file__).with_name("personal_names.txt")
REGIONS = ("AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY")
ALIAS_FIELD = "person_alias"
EXCERPT_LENGTH = 40


class Kind(StrEnum):
    email = "email"
    document = "document"
    phone = "phone"
    address = "address"
    name = "name"


@dataclass(frozen=True)
class Finding:
    """Something in `field`'s text, at [start, end), that looks like personal data."""

    field: str
    kind: Kind
    text: str
    start: int
    end: int


# --- messages ---------------------------------------------------------------------------------

MESSAGES: dict[Kind, str] = {
    Kind.email: N_(
        "{field}: looks like an e-mail address ({text}). Leave contact details out of the case; "
        "write which organisation or service to contact."
    ),
    Kind.document: N_(
        "{field}: looks like a document number ({text}). Write only the kind of document and "
        "where it is (e.g. 'passport kept by the employer'), never its number."
    ),
    Kind.phone: N_(
        "{field}: looks like a phone number ({text}). Leave contact details out of the case; "
        "write which organisation or service to contact."
    ),
    Kind.address: N_(
        "{field}: looks like a street address ({text}). Write only the city or the kind of place "
        "(e.g. 'a private household in Buenos Aires')."
    ),
    Kind.name: N_(
        "{field}: looks like a person's name ({text}). Write their role instead (e.g. 'the "
        "employer', 'a co-worker') or initials such as '{initials}'."
    ),
}
ALIAS_NAME_MESSAGE = N_(
    "{field}: looks like a person's name ({text}). Use initials or a code such as '{initials}'."
)


def initials(text: str) -> str:
    """'María Fernanda' → 'M.F.'; a code suggestion when the text has no letters: 'P-01'."""
    letters = [word[0].upper() for word in re.findall(r"[^\W\d_]+", text) if word[0].isupper()]
    letters = letters or [word[0].upper() for word in re.findall(r"[^\W\d_]+", text)]
    return "".join(f"{letter}." for letter in letters[:3]) or "P-01"


def describe(finding: Finding, field_label: str) -> str:
    """The finding in plain words, in the current language: what, where, what to write."""
    shown = finding.text if len(finding.text) <= EXCERPT_LENGTH else finding.text[:39] + "…"
    template = (
        ALIAS_NAME_MESSAGE
        if finding.kind == Kind.name and finding.field == ALIAS_FIELD
        else MESSAGES[finding.kind]
    )
    return _(template).format(field=field_label, text=shown, initials=initials(finding.text))


class PersonalDataFound(Conflict):
    """Free text holds what looks like personal data; nothing was saved."""

    def __init__(self, findings: list[Finding], labels: Mapping[str, str] | None = None) -> None:
        self.findings = findings
        self.labels = dict(labels or {})
        super().__init__("personal data in free text")

    def messages(self) -> dict[str, str]:
        """{field: message(s)} in the current language, for a form."""
        by_field: dict[str, list[str]] = {}
        for finding in self.findings:
            label = _(self.labels.get(finding.field, finding.field.replace("_", " ").capitalize()))
            by_field.setdefault(finding.field, []).append(describe(finding, label))
        return {field: " ".join(lines) for field, lines in by_field.items()}

    def translated(self) -> str:
        return " ".join(self.messages().values())

    def __str__(self) -> str:
        return self.translated()


# --- names ------------------------------------------------------------------------------------


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(word: str) -> str:
    """Accent- and case-insensitive form: 'María' → 'maria', 'JOÃO' → 'joao'."""
    return _unaccented(word).casefold()


@dataclass(frozen=True)
class NameLists:
    given: frozenset[str]
    ambiguous: frozenset[str]  # given names that are also places or ordinary words
    surnames: frozenset[str]
    places: re.Pattern[str]  # places named after people: "Pedro Juan Caballero"


@cache
def name_lists() -> NameLists:
    sections: dict[str, set[str]] = {"given": set(), "ambiguous": set(), "surname": set()}
    places: set[str] = set()
    section = ""
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section == "place" and line:
            places.add(re.escape(line))
            places.add(re.escape(_unaccented(line)))
            continue
        for word in line.split():
            if word.endswith("*"):
                word = word[:-1]
                sections["ambiguous"].add(fold(word))
            sections[section].add(fold(word))
    return NameLists(
        given=frozenset(sections["given"]),
        ambiguous=frozenset(sections["ambiguous"]),
        surnames=frozenset(sections["surname"]),
        places=re.compile(
            r"\b(?:" + "|".join(sorted(places, key=len, reverse=True)) + r")\b", re.I
        ),
    )


_WORD = re.compile(r"[^\W\d_]+")
_PARTICLES = frozenset({"de", "da", "do", "das", "dos", "del", "la", "las", "los", "e", "y"})
# Words that make a following given name part of an institution's or a place's name.
_INSTITUTION_WORDS = frozenset(
    fold(word)
    for word in (
        "Fundación Fundação Fundacion Fundacao Foundation Instituto Institute Hospital Clínica "
        "Clinica Sanatorio Policlínica Escuela Escola Colegio Colégio Liceo Universidad "
        "Universidade University Centro Center Centre Casa Hogar Lar Programa Program Programme "
        "Proyecto Projeto Project Parroquia Paróquia Iglesia Igreja Capilla Capela Asociación "
        "Associação Association Red Rede Refugio Albergue Comedor Hotel Mercado Terminal "
        "Aeropuerto Aeroporto Parque Plaza Praça Ciudad Cidade Villa Vila Barrio Bairro Puerto "
        "Porto San Santa Santo São Sao St Saint Calle Avenida Av Avda Rua Travessa Alameda "
        "Pasaje Jirón Ruta Estación Estação Colonia Departamento Provincia Província Estado "
        "Municipio Município Ministerio Ministério Secretaría Secretaria Dirección Direção "
        "Consulado Embajada Embaixada Fiscalía Defensoría Juzgado Tribunal Premio Prêmio Beca "
        "Cátedra Fondo Fundo Biblioteca Museo Museu Estadio Estádio Club Clube Virgen Virgem "
        "Nuestra Nossa Señora Senhora"
    ).split()
)
_TITLES = frozenset(
    fold(word)
    for word in (
        "Sr Sra Srta Señor Señora Señorita Don Doña Dona Senhor Senhora Mr Mrs Ms Dr Dra Lic "
        "Licenciado Licenciada Doctor Doctora Doutor Doutora Prof Profa Ing"
    ).split()
)


def _name_shaped(word: str) -> bool:
    """Capitalised like a name: 'Pérez', 'PEREZ'; not an acronym of four capitals or fewer."""
    if not word[:1].isupper() or len(word) < 2:
        return False
    return not (word.isupper() and len(word) <= 4)


def _alias_findings(text: str, field: str, lists: NameLists) -> list[Finding]:
    words = list(_WORD.finditer(text))
    listed = [
        match
        for match in words
        if len(match.group()) >= 3 and fold(match.group()) in lists.given | lists.surnames
    ]
    shaped = [match for match in words if _name_shaped(match.group()) and len(match.group()) >= 2]
    long_words = [match for match in words if len(match.group()) >= 3]
    if listed or len(shaped) >= 2 or len(long_words) >= 2:
        found = listed or shaped or long_words
        start, end = found[0].start(), found[-1].end()
        if len(shaped) >= 2 or len(long_words) >= 2:
            start, end = words[0].start(), words[-1].end()
        return [Finding(field, Kind.name, text[start:end], start, end)]
    return []


def _in_institution_name(words: list[re.Match[str]], index: int, text: str) -> bool:
    """Whether words[index] follows an institution or place word in one capitalised run."""
    position = index - 1
    while position >= 0:
        word = words[position].group()
        between = text[words[position].end() : words[position + 1].start()]
        if any(mark in between for mark in ",;:()\n") or between.count(".") and len(word) > 3:
            return False
        folded = fold(word)
        if folded in _INSTITUTION_WORDS:
            return True
        if not (_name_shaped(word) or folded in _PARTICLES):
            return False
        position -= 1
    return False


def _text_name_findings(text: str, field: str, lists: NameLists) -> list[Finding]:
    words = list(_WORD.finditer(_blank(text, lists.places)))
    findings: list[Finding] = []
    index = 0
    while index < len(words):
        match = words[index]
        word, folded = match.group(), fold(match.group())
        following = _following_name(words, index, text)
        end_index = None
        if folded in _TITLES and following is not None:
            end_index = following
        elif (
            word[:1].isupper()
            and folded in lists.given
            and following is not None
            and not _in_institution_name(words, index, text)
            and (folded not in lists.ambiguous or fold(words[following].group()) in lists.surnames)
        ):
            end_index = following
            # A second given name and a surname: take the whole name ("María Fernanda Benítez").
            while (after := _following_name(words, end_index, text)) is not None:
                end_index = after
        elif (
            word[:1].isupper()
            and not word.isupper()
            and folded in lists.given
            and folded not in lists.ambiguous
            and not _in_institution_name(words, index, text)
        ):
            end_index = index  # one given name alone: "her friend Maria asked"
        elif (
            len(word) == 1
            and word.isupper()
            and text[match.end() : match.end() + 1] == "."
            and index + 1 < len(words)
            and fold(words[index + 1].group()) in lists.surnames
            and words[index + 1].start() - match.end() <= 2
        ):
            end_index = index + 1
        if end_index is None:
            index += 1
            continue
        start, end = match.start(), words[end_index].end()
        findings.append(Finding(field, Kind.name, text[start:end], start, end))
        index = end_index + 1
    return findings


def _following_name(words: list[re.Match[str]], index: int, text: str) -> int | None:
    """The index of the name-shaped word right after words[index] (across de/da/del...)."""
    position = index + 1
    while position < len(words):
        between = text[words[position - 1].end() : words[position].start()]
        if between.strip(" .") or "\n" in between or between.count(".") > 1:
            return None
        word = words[position].group()
        if fold(word) in _PARTICLES and word.islower():
            position += 1
            continue
        return position if _name_shaped(word) else None
    return None


# --- numbers, contacts and addresses ----------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CASE_CODE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{4,}\b")
# Dates, and file numbers with their year ("Denuncia 45123/2026").
_DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,7}/(?:19|20)\d{2}\b"
)
_DOCUMENT_WORD = (
    r"(?:\b(?:D\.?N\.?I|C\.?I|R\.?U\.?T|R\.?U\.?N|C\.?P\.?F|C\.?N\.?P\.?J|R\.?G|N\.?I\.?T|"
    r"R\.?U\.?C|CUIT|CUIL|C\.?C|C\.?E|ID)\b\.?"
    r"|(?i:\b(?:c[eé]dula|documento|doc\.|pasaporte|passaporte|passport|carn[eé]t?|"
    r"identidad|identidade)\b(?:\s+(?:de|of)\s+[^\W\d_]+)?))"
)
_DOCUMENT_AFTER_WORD = re.compile(
    _DOCUMENT_WORD
    + r"[\s:#]*(?i:(?:n[°º]\.?|nro\.?|n[úu]m(?:ero)?\.?|number|no\.)\s*)?"
    + r"(?P<number>[A-Z]{0,3}\s?\d(?:[\d.\-/ ]?\d){4,}(?:-?[\dkK])?(?:\s?[A-Z]{2}\b)?)"
)
_DOTTED = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,3}(?:-[\dkK]{1,2})?(?![\d,]|\.\d)")
_NUMBER = re.compile(r"(?<![\w.\-/])\d[\d.\-/]{5,18}[\dkK](?![\w\-/]|\.\d)")
_PASSPORT = re.compile(r"\b[A-Z]{1,3}\d{6,9}\b")
_CURRENCY = re.compile(
    r"(?i:\$|₲|€|\b(?:gs|usd|us\$|ars|brl|clp|cop|pyg|pen|uyu|bob|bs|s/|pesos?|guaran[ií]es|"
    r"reais|real|soles|bolivianos|d[oó]lares|dollars|euros?|mil|millones|millions?)\b)"
)
# Check-digit numbers that also need the dash before the check digit, as they are written.
_DASHED_VALIDATORS: tuple[Callable[[str], bool], ...] = (
    cl_rut.is_valid,
    co_nit.is_valid,
    py_ruc.is_valid,
    pe_cui.is_valid,
)
_VALIDATORS: dict[int, tuple[Callable[[str], bool], ...]] = {
    11: (br_cpf.is_valid, ar_cuit.is_valid, pe_ruc.is_valid),
    12: (uy_rut.is_valid,),
    14: (br_cnpj.is_valid,),
}
_STREET = (
    r"(?i:\b(?:calle|avenida|avda\.?|av\.|pasaje|psje\.?|jir[oó]n|jr\.|carrera|cra\.?|kra\.?|"
    r"diagonal|transversal|camino|bulevar|boulevard|rua|travessa|alameda|estrada|pra[cç]a|"
    r"street|road|avenue|lane)(?=[\s.,]))"
)
_UNITS = (
    r"(?i:\s*(?:d[ií]as?|days?|semanas?|weeks?|meses|m[eê]s|months?|a[nñ]os?|years?|horas?|"
    r"hours?|minutos?|minutes?|cuadras?|quadras?|blocks?|km|kil[oó]metros?|metros?|meters?|m\b|"
    r"veces|vezes|times|personas?|pessoas?|people|%))"
)
_ADDRESS = re.compile(
    _STREET
    # Words of the street's name may be numbers ("Av. 9 de Julio 1234"), not its house number.
    + r"[\s.,]+(?:[^\s,;]+[\s,]+){0,5}?(?:(?i:n[°º.o]?|nro\.?|#)\s*)?\d{1,5}\b(?!"
    + _UNITS
    + r"|\s+(?i:de|do|da)\s)(?:\s*(?:#|-)\s*\d{1,4}(?:-\d{1,4})?)?"
    + r"|\b\d{1,5}\s+(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Lane|"
    + r"Boulevard|Blvd\.?)(?!\w)"
)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with `pattern`'s matches replaced by spaces: offsets stay the same."""
    return pattern.sub(lambda match: " " * len(match.group()), text)


def _money(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 6) : start], text[end : end + 16].split(".")[0]
    return bool(_CURRENCY.search(before) or _CURRENCY.search(after))


def _document_findings(text: str, field: str) -> tuple[list[Finding], list[Finding]]:
    """(numbers after a document word, other ID-shaped or check-digit numbers)."""
    after_word = [
        Finding(field, Kind.document, match.group().strip(), match.start(), match.end())
        for match in _DOCUMENT_AFTER_WORD.finditer(text)
    ]
    shaped: list[Finding] = []
    for match in _DOTTED.finditer(text):
        if not _money(text, match.start(), match.end()):
            shaped.append(Finding(field, Kind.document, match.group(), match.start(), match.end()))
    for match in _NUMBER.finditer(text):
        raw = match.group()
        digits = re.sub(r"[.\-/]", "", raw)
        validators = _VALIDATORS.get(len(digits), ())
        dashed = re.search(r"-[\dkK]$", raw) is not None
        if any(valid(digits) for valid in validators) or (
            dashed and any(valid(raw) for valid in _DASHED_VALIDATORS)
        ):
            shaped.append(Finding(field, Kind.document, raw, match.start(), match.end()))
    shaped += [
        Finding(field, Kind.document, match.group(), match.start(), match.end())
        for match in _PASSPORT.finditer(text)
    ]
    return after_word, shaped


def _phone_findings(text: str, field: str) -> list[Finding]:
    found: dict[tuple[int, int], str] = {}
    for region in REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            found.setdefault((match.start, match.end), match.raw_string)
    return [
        Finding(field, Kind.phone, raw.strip(), start, end) for (start, end), raw in found.items()
    ]


def _without_overlaps(groups: Iterable[list[Finding]]) -> list[Finding]:
    """Findings in priority order (the groups' order); one that overlaps a kept one is dropped."""
    kept: list[Finding] = []
    for group in groups:
        for finding in group:
            if all(finding.end <= other.start or finding.start >= other.end for other in kept):
                kept.append(finding)
    return sorted(kept, key=lambda finding: finding.start)


def find_personal_data(text: str | None, field: str) -> list[Finding]:
    """What in `text` (the value of `field`) looks like personal data, in reading order."""
    if not text or not text.strip():
        return []
    lists = name_lists()
    emails = [
        Finding(field, Kind.email, match.group(), match.start(), match.end())
        for match in _EMAIL.finditer(text)
    ]
    # Case codes and dates are not personal data, but look like phone or ID numbers.
    numbers_text = _blank(_blank(_blank(text, _EMAIL), _CASE_CODE), _DATE)
    after_word, shaped = _document_findings(numbers_text, field)
    phones = _phone_findings(numbers_text, field)
    addresses = [
        Finding(field, Kind.address, match.group().strip(), match.start(), match.end())
        for match in _ADDRESS.finditer(text)
    ]
    names = (
        _alias_findings(text, field, lists)
        if field == ALIAS_FIELD
        else _text_name_findings(text, field, lists)
    )
    return _without_overlaps([emails, after_word, shaped, phones, addresses, names])


def find_in_fields(values: Mapping[str, str | None]) -> list[Finding]:
    """Every finding in several fields' texts ({field: text}), field by field."""
    return [
        finding for field, text in values.items() for finding in find_personal_data(text, field)
    ]
