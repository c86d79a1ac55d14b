"""The public stages of an analysis, and the short message shown for each (KO/EN).

The pipeline stores its own steps (`state.AnalysisStep` in `analyses.stage`); clients see
`Stage`, in this order:

  QUEUED → STARTED → LOADING_IMAGE → CHECKING_CACHE → PREPARING_IMAGE → CLASSIFYING
         → FINALISING → DONE | FAILED

A photo answered from the cache goes from CHECKING_CACHE straight to FINALISING. After a
transient failure the job shows RETRYING, then starts again from QUEUED. No Strawberry here:
types.py exposes `Stage` as the GraphQL enum `AnalysisStage`.
"""

from __future__ import annotations

from enum import Enum

from bunri_shared.errors import ErrorCode
from bunri_shared.i18n import Language
from waste.state import AnalysisStatus, AnalysisStep


class Stage(Enum):
    QUEUED = "QUEUED"
    RETRYING = "RETRYING"
    STARTED = "STARTED"
    LOADING_IMAGE = "LOADING_IMAGE"
    CHECKING_CACHE = "CHECKING_CACHE"
    PREPARING_IMAGE = "PREPARING_IMAGE"
    CLASSIFYING = "CLASSIFYING"
    FINALISING = "FINALISING"
    DONE = "DONE"
    FAILED = "FAILED"


# Stored step -> public stage (REQUEUED is the reconciler's restart).
_STORED = {
    AnalysisStep.QUEUED: Stage.QUEUED,
    AnalysisStep.REQUEUED: Stage.QUEUED,
    AnalysisStep.RETRYING: Stage.RETRYING,
    AnalysisStep.START: Stage.STARTED,
    AnalysisStep.LOAD: Stage.LOADING_IMAGE,
    AnalysisStep.HASH: Stage.CHECKING_CACHE,
    AnalysisStep.PREPROCESS: Stage.PREPARING_IMAGE,
    AnalysisStep.CLASSIFY: Stage.CLASSIFYING,
    AnalysisStep.FINALISE: Stage.FINALISING,
    AnalysisStep.DONE: Stage.DONE,
    AnalysisStep.FAILED: Stage.FAILED,
}

DESCRIPTIONS = {
    Stage.QUEUED: "Waiting for a worker (also after a restart).",
    Stage.RETRYING: "A transient failure; the job goes back to QUEUED shortly.",
    Stage.STARTED: "A worker took the job.",
    Stage.LOADING_IMAGE: "Reading the stored photo.",
    Stage.CHECKING_CACHE: "Looking for an earlier answer to the same photo and hint.",
    Stage.PREPARING_IMAGE: "Decoding and resizing the photo for the classifier.",
    Stage.CLASSIFYING: "The classifier is working out what the item is.",
    Stage.FINALISING: "Storing the answer.",
    Stage.DONE: "Finished: SUCCEEDED or UNCLASSIFIED.",
    Stage.FAILED: "Finished without an answer (see WasteAnalysis.error).",
}

_MESSAGES: dict[Stage, tuple[str, str]] = {  # (Korean, English)
    Stage.QUEUED: ("분석을 기다리는 중이에요.", "Waiting for the analysis to start."),
    Stage.RETRYING: ("문제가 생겨 곧 다시 시도해요.", "Something went wrong; retrying shortly."),
    Stage.STARTED: ("분석을 시작했어요.", "The analysis has started."),
    Stage.LOADING_IMAGE: ("사진을 불러오는 중이에요.", "Reading your photo."),
    Stage.CHECKING_CACHE: ("전에 본 사진인지 확인하는 중이에요.", "Checking earlier answers."),
    Stage.PREPARING_IMAGE: ("사진을 준비하는 중이에요.", "Preparing the photo."),
    Stage.CLASSIFYING: ("어떤 물건인지 알아보는 중이에요.", "Working out what this is."),
    Stage.FINALISING: ("결과를 정리하는 중이에요.", "Putting the answer together."),
}
_UNCLASSIFIED = (
    "어떤 물건인지 알 수 없어요. 힌트(예: 페트병)를 적어 다시 시도해 주세요.",
    'We could not tell what this is. Add a hint (e.g. "pet bottle") and try again.',
)
_FAILED = {
    ErrorCode.UPLOAD_NOT_FOUND: (
        "사진을 더 이상 찾을 수 없어요. 다시 올려 주세요.",
        "The photo is gone; please upload it again.",
    ),
    ErrorCode.INVALID_IMAGE: (
        "사진을 읽을 수 없어요. 다른 사진으로 시도해 주세요.",
        "This photo cannot be read; try another one.",
    ),
}
_FAILED_OTHER = ("분석에 실패했어요. 다시 시도해 주세요.", "The analysis failed; please try again.")


def public_stage(step: AnalysisStep) -> Stage:
    return _STORED[step]


def message(
    stage: Stage,
    *,
    status: AnalysisStatus,
    language: Language,
    points_awarded: int | None = None,
    error_code: str | None = None,
) -> str:
    """One short sentence for the user about where their analysis is."""
    pick = 0 if language is Language.KO else 1
    if stage is Stage.FAILED:
        return _FAILED.get(error_code or "", _FAILED_OTHER)[pick]
    if stage is Stage.DONE and status is AnalysisStatus.UNCLASSIFIED:
        return _UNCLASSIFIED[pick]
    if stage is Stage.DONE:
        if points_awarded:
            return (
                f"완료! {points_awarded}포인트를 받았어요.",
                f"Done! You earned {points_awarded} points.",
            )[pick]
        return ("완료!", "Done!")[pick]
    return _MESSAGES[stage][pick]
