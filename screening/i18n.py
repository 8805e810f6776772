"""Gettext catalogues of the letters and the web pages: English is the source language (the msgids),
Danish is ``screening/locale/da/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` at install time
(``make``: ``pybabel compile -d screening/locale``; the ``.mo`` files are not committed). Messages are
extracted from the templates and the Python code with ``pybabel extract -F babel.cfg``.

A language whose compiled catalogue is missing or older than its ``.po`` is an error, never a
silent fallback to English.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from screening.domain import N_, Reason
from screening.errors import ScreeningError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
LOCALES = {"en": "en_GB", "da": "da_DK"}  # language → the Babel locale of its dates and numbers


def catalogue_paths(language: str) -> tuple[Path, Path]:
    """(the .po file, the compiled .mo file) of a language."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of a language (English: the messages as written)."""
    if language not in LOCALES:
        raise ScreeningError(f"language {language!r} is not supported (supported: {', '.join(LOCALES)})")
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    po, mo = catalogue_paths(language)
    if not mo.is_file():
        raise ScreeningError(
            f"the {language} catalogue is not compiled ({mo.relative_to(LOCALE_DIR.parent)} missing): "
            "run make, or pybabel compile -d screening/locale"
        )
    if po.is_file() and po.stat().st_mtime_ns > mo.stat().st_mtime_ns:
        raise ScreeningError(
            f"the {language} catalogue is older than its .po file: run make, or pybabel compile -d "
            "screening/locale"
        )
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")


def number_text(value: float, spec: str, language: str) -> str:
    """A number of an engine text written the language's way (``spec``: its ``str.format`` spec as
    the engine wrote it: ``g``, ``,``, ``.3f``, ``,.0f``). Python rounds and chooses the digits, as in
    the English text; the language only writes them (decimal comma, thousands separator)."""
    english = format(value, spec)
    digits = format(value, spec.replace(",", ""))
    if language == SOURCE_LANGUAGE or not _PLAIN.match(digits):
        return english
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    pattern = ("#,##0" if "," in spec else "0") + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(digits), format=pattern, locale=LOCALES[language])


UNTRANSLATED = N_("{text} (technical text, in English only)")


def engine_text(text: str, language: str) -> str:
    """An engine reason or note in a language: a ``Reason`` through the language's catalogue. Plain
    text (a row stored before templates were kept, a file's own error as the reader wrote it) stays as
    written, in English, and says so in the language, so a reader never takes it for a translation."""
    if language == SOURCE_LANGUAGE:
        return str(text)
    gettext = translations(language).gettext
    if not isinstance(text, Reason):
        return gettext(UNTRANSLATED).format(text=text)
    return text.render(gettext, lambda value, spec: number_text(value, spec, language))


__all__ = [
    "DOMAIN",
    "LOCALES",
    "LOCALE_DIR",
    "N_",
    "SOURCE_LANGUAGE",
    "catalogue_paths",
    "engine_text",
    "number_text",
    "translations",
]
