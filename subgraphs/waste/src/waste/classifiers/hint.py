"""The offline classifier: match the user's typed hint against the taxonomy's item vocabulary.

No network and no model: this classifier IGNORES THE IMAGE entirely. It can only be as good as
the hint the user typed ("생수병", "pet bottle", "빈 생수병 500ml"); without a hint it answers
`Unclassified("no hint")` rather than guess.

Matching works on keys built by `bunri_shared.taxonomy.terms.normalise` (NFKC, casefold, no
spaces or punctuation, Hangul split into letters) with any remaining symbols ("?", "!", "~")
dropped, the same rule for the index and for the hint. Every item contributes its Korean name,
English name and synonyms as terms. A hint is scored against every term and the best term wins:

* exact key match                                   → 0.95
* the hint contains the whole term (≥ 4 letters,
  e.g. "빈 생수병 500ml" ⊃ "생수병")                  → 0.65 + 0.25 × len(term) / len(hint)
* fuzzy (typos: "패트병", "beer botle")              → 0.90 × (dice + ratio) / 2
  where dice is the Dice coefficient of the two keys' character-trigram sets (padded so the
  first and last letters count) and ratio is difflib's `SequenceMatcher.ratio()`; both are in
  0..1, so fuzzy stays below every exact match.

A term scores the best of the rules that apply. A Latin-letter edge of a contained term must sit
on a word boundary of the hint, so "masking tape" does not contain "mask" and "textile" does not
contain "tile"; Hangul has no such rule (Korean spacing is optional: "빈생수병" contains "생수병").

Below `THRESHOLD` (0.65) the hint is `Unclassified`: a contained term always passes, a fuzzy
score needs (dice + ratio) / 2 of at least 0.72 (one wrong vowel in "패트병" scores 0.74, while
"textile"/"tile", "종이"/"종이컵" or "스마트워치"/"스마트폰" stay below). Without an exact match,
when the best scores of two categories are within `AMBIGUITY_MARGIN` (0.02) of each other the
hint is ambiguous ("건전지 충전기") and also `Unclassified`. Ties between terms of one category
go to the first term in taxonomy order, so the answer is deterministic.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from bunri_shared.taxonomy import CategoryEntry, load_taxonomy
from bunri_shared.taxonomy.terms import normalise
from waste.classifiers.base import Classification, Unclassified

EXACT = 0.95
CONTAINED_BASE = 0.65
CONTAINED_SPAN = 0.25
FUZZY_WEIGHT = 0.90
THRESHOLD = 0.65
AMBIGUITY_MARGIN = 0.02
MIN_CONTAINED_LENGTH = 4  # letters of the key: "캔" (3 jamo), "pen", "tv" never count as contained
MAX_HINT_LENGTH = 200  # characters of the raw hint


@dataclass(frozen=True, slots=True)
class _Key:
    """A normalised text and the offsets in it where a whitespace word boundary was."""

    text: str
    boundaries: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Term:
    key: _Key
    trigrams: frozenset[str]
    category_code: str
    item_name: str
    order: int


def _clean(text: str) -> str:
    """`normalise`, then drop what is neither a letter, a digit nor a combining mark."""
    return "".join(ch for ch in normalise(text) if unicodedata.category(ch)[0] in "LNM")


def _key(text: str) -> _Key:
    pieces = [_clean(word) for word in text.split()]
    boundaries = {0}
    offset = 0
    for piece in pieces:
        offset += len(piece)
        boundaries.add(offset)
    return _Key("".join(pieces), frozenset(boundaries))


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _contains(outer: _Key, inner: _Key) -> bool:
    """Whether `inner` occurs in `outer` without cutting a Latin word of `outer` in two."""
    text, needle = outer.text, inner.text
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        left_ok = start in outer.boundaries or not (_latin(text[start - 1]) and _latin(text[start]))
        right_ok = end in outer.boundaries or not (_latin(text[end - 1]) and _latin(text[end]))
        if left_ok and right_ok:
            return True
        start = text.find(needle, start + 1)
    return False


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


class HintClassifier:
    """Offline, deterministic hint matcher (see the module docstring for the scoring)."""

    name = "offline-hint"
    reads_image = False

    def __init__(self, taxonomy: Iterable[CategoryEntry] | None = None) -> None:
        entries = load_taxonomy() if taxonomy is None else list(taxonomy)
        terms: list[_Term] = []
        exact: dict[str, _Term] = {}
        for category in entries:
            for item in category.items:
                for raw in (item.name_ko, item.name_en, *item.synonyms):
                    key = _key(raw)
                    if not key.text:
                        continue
                    term = _Term(
                        key=key,
                        trigrams=_trigrams(key.text),
                        category_code=category.code,
                        item_name=item.name_ko,
                        order=len(terms),
                    )
                    terms.append(term)
                    exact.setdefault(key.text, term)
        if not terms:
            raise ValueError("the taxonomy has no items to match hints against")
        self._terms: tuple[_Term, ...] = tuple(terms)
        self._exact = exact

    async def classify(
        self, *, image: bytes, content_type: str, hint: str | None
    ) -> Classification:
        # The image is deliberately unused: this classifier only reads the hint.
        return self.match(hint)

    def match(self, hint: str | None) -> Classification:
        """Synchronous core of `classify`: the hint alone decides."""
        if hint is None or not hint.strip():
            raise Unclassified("no hint")
        if len(hint) > MAX_HINT_LENGTH:
            raise Unclassified(f"hint longer than {MAX_HINT_LENGTH} characters")
        query = _key(hint)
        if not query.text:
            raise Unclassified("no hint")

        found = self._exact.get(query.text)
        if found is not None:
            return Classification(found.category_code, found.item_name, EXACT)

        # Best term per category; ties keep the earlier term (taxonomy order).
        best: dict[str, tuple[float, _Term]] = {}
        grams = _trigrams(query.text)
        for term in self._terms:
            score = self._score(query, grams, term)
            current = best.get(term.category_code)
            if current is None or score > current[0]:
                best[term.category_code] = (score, term)
        ranked = sorted(best.values(), key=lambda pair: (-pair[0], pair[1].order))
        top_score, top = ranked[0]
        if top_score < THRESHOLD:
            raise Unclassified("no taxonomy item matches the hint closely enough")
        if len(ranked) > 1 and top_score - ranked[1][0] < AMBIGUITY_MARGIN:
            runner_up = ranked[1][1]
            raise Unclassified(
                f"hint is ambiguous between {top.category_code} ({top.item_name}) and "
                f"{runner_up.category_code} ({runner_up.item_name})"
            )
        return Classification(top.category_code, top.item_name, round(top_score, 4))

    @staticmethod
    def _score(query: _Key, grams: frozenset[str], term: _Term) -> float:
        text = term.key.text
        score = 0.0
        if len(text) >= MIN_CONTAINED_LENGTH and _contains(query, term.key):
            score = CONTAINED_BASE + CONTAINED_SPAN * len(text) / len(query.text)
        dice = _dice(grams, term.trigrams)
        # difflib's ratio is at most 2·min/(sum) of the lengths: skip it when even that bound
        # cannot lift the term to where it could win or make the answer ambiguous.
        ratio_bound = 2 * min(len(text), len(query.text)) / (len(text) + len(query.text))
        if FUZZY_WEIGHT * (dice + ratio_bound) / 2 < max(score, THRESHOLD - AMBIGUITY_MARGIN):
            return score
        ratio = SequenceMatcher(None, query.text, text, autojunk=False).ratio()
        return max(score, FUZZY_WEIGHT * (dice + ratio) / 2)
