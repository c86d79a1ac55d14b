"""Collected items: mapping KECO's free-text item lists to the fixed waste taxonomy codes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

# The fixed waste taxonomy codes (recycling subgraph); nothing else may be emitted.
CATEGORY_CODES: Final[frozenset[str]] = frozenset(
    {
        "PAPER",
        "PAPER_PACK",
        "CLEAR_PET",
        "PLASTIC",
        "VINYL",
        "STYROFOAM",
        "GLASS_BOTTLE",
        "METAL",
        "CLOTHING",
        "ELECTRONICS",
        "BATTERY",
        "LIGHTING",
    }
)

# Normalised item text -> category. Keys are normalise_item() output: NFKC, lower-case latin,
# no whitespace. Typos seen in the data are listed on purpose (투명페트명, 외류외, …).
ITEM_CATEGORIES: Final[dict[str, str]] = {
    # clear (colourless) PET bottles: collected separately since 2020
    "투명페트병": "CLEAR_PET",
    "투명패트병": "CLEAR_PET",
    "투명페트명": "CLEAR_PET",
    "투명페트": "CLEAR_PET",
    "투명패트": "CLEAR_PET",
    "무색페트병": "CLEAR_PET",
    "무색페트": "CLEAR_PET",
    "투명pet": "CLEAR_PET",
    "무색pet": "CLEAR_PET",
    # other plastics, including coloured/sheet PET and resin codes
    "pet": "PLASTIC",
    "페트": "PLASTIC",
    "페트병": "PLASTIC",
    "유색페트병": "PLASTIC",
    "유색페트": "PLASTIC",
    "유색pet": "PLASTIC",
    "유색혼합pet": "PLASTIC",
    "판pet": "PLASTIC",
    "판페트": "PLASTIC",
    "pp": "PLASTIC",
    "pe": "PLASTIC",
    "ps": "PLASTIC",
    "other": "PLASTIC",
    "others": "PLASTIC",
    "플라스틱": "PLASTIC",
    "플라스틱류": "PLASTIC",
    "기타플라스틱": "PLASTIC",
    "기타플라스틱류": "PLASTIC",
    "블럭류플라스틱": "PLASTIC",
    "즉석밥용기": "PLASTIC",
    "즉석밥용기류": "PLASTIC",
    "즉석밥용기pp": "PLASTIC",
    "햇반용기": "PLASTIC",
    "장난감": "PLASTIC",  # collected as plastic toys (블럭류)
    "장난감류": "PLASTIC",
    "블럭류장난감": "PLASTIC",
    "빨대": "PLASTIC",
    # vinyl / film
    "비닐": "VINYL",
    "비닐류": "VINYL",
    "pe비닐": "VINYL",
    "스티로폼": "STYROFOAM",
    # metal
    "캔": "METAL",
    "캔류": "METAL",
    "알루미늄": "METAL",
    "알루미늄캔": "METAL",
    "철": "METAL",
    "철캔": "METAL",
    "고철": "METAL",
    # paper
    "서적": "PAPER",
    "책": "PAPER",
    "일반종이": "PAPER",
    "일반종이류": "PAPER",
    "종이": "PAPER",
    "종이류": "PAPER",
    "종이박스": "PAPER",
    "신문": "PAPER",
    "신문지": "PAPER",
    "신문지류": "PAPER",
    "서적및신문지류": "PAPER",
    # paper packs; 멸균/살균 are what's left of "종이팩(멸균,살균)" if split carelessly
    "종이팩": "PAPER_PACK",
    "우유팩": "PAPER_PACK",
    "멸균팩": "PAPER_PACK",
    "살균팩": "PAPER_PACK",
    "멸균": "PAPER_PACK",
    "살균": "PAPER_PACK",
    # clothing and textiles
    "의류": "CLOTHING",
    "의류외": "CLOTHING",
    "외류외": "CLOTHING",  # typo of 의류 외 in the source
    "헌옷": "CLOTHING",
    "중고의류": "CLOTHING",
    "가방": "CLOTHING",
    "신발": "CLOTHING",
    # batteries, lighting, electronics
    "폐건전지": "BATTERY",
    "건전지": "BATTERY",
    "형광등": "LIGHTING",
    "폐형광등": "LIGHTING",
    "소형가전": "ELECTRONICS",
    "폐가전": "ELECTRONICS",
    # glass bottles
    "소주병": "GLASS_BOTTLE",
    "맥주병": "GLASS_BOTTLE",
    "기타병": "GLASS_BOTTLE",
    "녹색병": "GLASS_BOTTLE",
    "갈색병": "GLASS_BOTTLE",
    "투명병": "GLASS_BOTTLE",
    "유리병": "GLASS_BOTTLE",
    "병": "GLASS_BOTTLE",
}

# Fallback when the table has no exact entry: first rule whose keyword occurs wins, so the
# specific rules (clear PET, 팩) come before the broad ones (PET, 병, 철).
ITEM_KEYWORD_RULES: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("투명페트", "투명패트", "무색페트", "투명pet", "무색pet"), "CLEAR_PET"),
    (("종이팩", "우유팩", "멸균팩", "살균팩"), "PAPER_PACK"),
    (("비닐",), "VINYL"),
    (("스티로폼",), "STYROFOAM"),
    (
        ("페트", "패트", "pet", "플라스틱", "플리스틱", "장난감", "블럭", "블록", "햇반", "즉석밥"),
        "PLASTIC",
    ),
    (("종이", "서적", "신문", "박스"), "PAPER"),
    (("건전지", "배터리"), "BATTERY"),
    (("형광등", "전구"), "LIGHTING"),
    (("가전", "전자제품", "휴대폰"), "ELECTRONICS"),
    (("캔", "알루미늄", "고철", "철"), "METAL"),
    (("의류", "헌옷", "옷", "가방", "신발"), "CLOTHING"),
    (("병",), "GLASS_BOTTLE"),
)

# Bare colours ("투명, 갈색,녹색병") only make sense next to what they describe; see
# _colour_category().
COLOUR_WORDS: Final[frozenset[str]] = frozenset({"투명", "무색", "유색", "갈색", "녹색"})
CONTEXT_PET: Final = "pet"
CONTEXT_GLASS: Final = "glass"

# Filler that is neither an item nor worth reporting.
NOISE_WORDS: Final[frozenset[str]] = frozenset({"등", "기타", "외", "및", "etc", "etc."})


@dataclass(frozen=True)
class CollectedItems:
    categories: tuple[str, ...]  # sorted, unique taxonomy codes
    unmapped: tuple[str, ...]  # item texts that mapped to nothing, in order of appearance


def normalise_item(text: str) -> str:
    """Canonical form for lookups: NFKC (full-width letters, brackets), lower-case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def map_item(text: str, context: str | None = None) -> str | None:
    """Category code for one collected-item token, or None if it maps to nothing.

    `context` (CONTEXT_PET / CONTEXT_GLASS / None) disambiguates bare colour words.
    """
    key = normalise_item(text)
    if key in COLOUR_WORDS:
        return _colour_category(key, context)
    for candidate in _lookup_keys(key):
        if candidate in ITEM_CATEGORIES:
            return ITEM_CATEGORIES[candidate]
    for candidate in _lookup_keys(key):
        category = _keyword_category(candidate)
        if category is not None:
            return category
    return None


def _lookup_keys(key: str) -> list[str]:
    # "PP(햇반용기)" and fragments like "종이팩(멸균" or "신발)" are named by the text before
    # the bracket; then try the whole text with brackets dropped.
    head = key.split("(", 1)[0].strip(")")
    unbracketed = key.replace("(", "").replace(")", "")
    return [candidate for candidate in (key, head, unbracketed) if candidate]


def _keyword_category(key: str) -> str | None:
    for keywords, category in ITEM_KEYWORD_RULES:
        if any(keyword in key for keyword in keywords):
            return category
    return None


def _colour_category(colour: str, context: str | None) -> str | None:
    if context == CONTEXT_GLASS:
        return "GLASS_BOTTLE"
    if context == CONTEXT_PET:
        return "CLEAR_PET" if colour in {"투명", "무색"} else "PLASTIC"
    # No context: drink PET must be colourless since 2020, so brown/green almost always means
    # glass bottles; "투명"/"무색"/"유색" alone could be either and stay unmapped.
    return "GLASS_BOTTLE" if colour in {"갈색", "녹색"} else None


def _context_hint(text: str) -> str | None:
    """What material a token (or group label) talks about, to resolve neighbouring colours."""
    key = normalise_item(text)
    if key in COLOUR_WORDS:
        return None
    if any(word in key for word in ("페트", "패트", "pet", "플라스틱", "플리스틱")):
        return CONTEXT_PET
    if "병" in key or "유리" in key:
        return CONTEXT_GLASS
    return None


def parse_collected_items(text: str | None) -> CollectedItems:
    """Map a clctItemCn value to taxonomy codes, reporting what could not be mapped.

    Lines are items or group labels ("(캔류)"). Decision: a label never adds a category by
    itself (a heading with nothing under it proves nothing); it only gives context to bare
    colour words below it.
    """
    categories: set[str] = set()
    unmapped: list[str] = []
    group_hint: str | None = None
    previous_hint: str | None = None
    for line in (text or "").splitlines():
        label, rest = _split_label(line.strip())
        if label is not None:
            group_hint, previous_hint = _context_hint(label), None
        tokens = [token for token in _split_top_level(rest) if not _is_noise(token)]
        line_hint = next((h for h in map(_context_hint, tokens) if h is not None), None)
        for token in tokens:
            context = line_hint or previous_hint or group_hint
            category = map_item(token, context)
            if category is None:
                if token not in unmapped:
                    unmapped.append(token)
            else:
                categories.add(category)
            previous_hint = _context_hint(token) or previous_hint
    return CollectedItems(categories=tuple(sorted(categories)), unmapped=tuple(unmapped))


def _split_label(line: str) -> tuple[str | None, str]:
    """Split a leading "(…)" group label from the rest of the line.

    "(폐건전지 교환) 폐건전지 20개<->새건전지 2개" -> label + item; "(캔류((음료))" (never closes)
    -> all label.
    """
    if not line.startswith("("):
        return None, line
    depth = 0
    for index, char in enumerate(line):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return line[: index + 1], line[index + 1 :].strip()
    return line, ""


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: "외류 외(가방, 신발)" stays one token."""
    tokens: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            tokens.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tokens.append("".join(current).strip())
    return [token for token in tokens if token]


def _is_noise(token: str) -> bool:
    key = normalise_item(token)
    has_letters = re.search(r"[a-z\uac00-\ud7a3]", key) is not None
    return not has_letters or key in NOISE_WORDS
