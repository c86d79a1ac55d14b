"""The KECO CSV's columns: the full header, the ones a Site needs, and named groups of them."""

from __future__ import annotations

from typing import Final

KECO_COLUMNS: Final[tuple[str, ...]] = (
    "positnSn",
    "positnNm",
    "positnRgnNm",
    "positnLotnoAddr",
    "positnRdnmAddr",
    "positnPstnAddExpln",
    "positnPstnLat",
    "positnPstnLot",
    "positnIntdcCn",
    "positnCnvncFcltSrvcExpln",
    "prkMthdExpln",
    "monSalsHrExplnCn",
    "tuesSalsHrExplnCn",
    "wedSalsHrExplnCn",
    "thurSalsHrExplnCn",
    "friSalsHrExplnCn",
    "satSalsHrExplnCn",
    "sunSalsHrExplnCn",
    "lhldySalsHrExplnCn",
    "lhldyDyoffCn",
    "tmprLhldyCn",
    "dyoffBgndeCn",
    "dyoffEnddtCn",
    "dyoffRsnExpln",
    "bscTelnoCn",
    "rprsTelnoCn",
    "telnoExpln",
    "indivTelnoCn",
    "lnkgHmpgUrlAddr",
    "indivRelSrchListCn",
    "comRelSrwrdListCn",
    "clctItemCn",
    "etcMttrCn",
)

# Only what a Site cannot exist without. Hours, phones and items are optional: when their
# column is absent the site is still useful, just with "unknown" values.
REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "positnSn",
    "positnNm",
    "positnLotnoAddr",
    "positnRdnmAddr",
    "positnPstnLat",
    "positnPstnLot",
)

# Monday first, matching datetime.weekday().
HOURS_COLUMNS: Final[tuple[str, ...]] = (
    "monSalsHrExplnCn",
    "tuesSalsHrExplnCn",
    "wedSalsHrExplnCn",
    "thurSalsHrExplnCn",
    "friSalsHrExplnCn",
    "satSalsHrExplnCn",
    "sunSalsHrExplnCn",
)
HOLIDAY_HOURS_COLUMN: Final = "lhldySalsHrExplnCn"

# Free prose written by the publisher (introductions, parking notes, remarks, search keywords).
# The repository keeps only facts, so write_facts_csv() empties these.
PROSE_COLUMNS: Final[tuple[str, ...]] = (
    "positnIntdcCn",
    "positnPstnAddExpln",
    "positnCnvncFcltSrvcExpln",
    "prkMthdExpln",
    "etcMttrCn",
    "telnoExpln",
    "dyoffRsnExpln",
    "indivRelSrchListCn",
    "comRelSrwrdListCn",
)
