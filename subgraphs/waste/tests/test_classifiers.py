"""Classifiers: the offline hint matcher on real hints, the vision client against a local fake
OpenAI-compatible server (a real HTTP server speaking the chat-completions protocol)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bunri_shared.taxonomy import load_taxonomy
from waste.classifiers import (
    Classification,
    Classifier,
    HintClassifier,
    PermanentClassifierError,
    TransientClassifierError,
    Unclassified,
    VisionClassifier,
    classifier_from_settings,
)

TAXONOMY = load_taxonomy()
LEAF_CODES = [c.code for c in TAXONOMY if c.items]
IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"  # JPEG-ish bytes, any will do
API_KEY = "sk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def hint() -> HintClassifier:
    return HintClassifier(TAXONOMY)


# ------------------------------------------------------------------ offline hint classifier

# (what a user types, the category, the item's Korean name or None for "any item")
HINTS = [
    ("생수병", "CLEAR_PET", "먹는샘물 PET병"),
    ("페트 병", "CLEAR_PET", "먹는샘물 PET병"),
    ("패트병", "CLEAR_PET", "먹는샘물 PET병"),  # typo: 패 for 페
    ("pet bottle", "CLEAR_PET", "먹는샘물 PET병"),
    ("PET-Bottle", "CLEAR_PET", "먹는샘물 PET병"),
    ("빈 생수병 500ml", "CLEAR_PET", "먹는샘물 PET병"),  # contains a whole term
    ("빈생수병", "CLEAR_PET", "먹는샘물 PET병"),
    ("plastic water bottle 500ml", "CLEAR_PET", "먹는샘물 PET병"),
    ("콜라 페트병 1.5L", "CLEAR_PET", "탄산음료 PET병"),
    ("우유팩", "PAPER_PACK", "우유팩"),
    ("우유 팩", "PAPER_PACK", "우유팩"),
    ("milk carton", "PAPER_PACK", "우유팩"),
    ("이거 우유팩인데 어디 버려요?", "PAPER_PACK", "우유팩"),
    ("쥬스팩", "PAPER_PACK", "주스팩"),
    ("soju bottle", "GLASS_BOTTLE", "소주병"),
    ("Soju-Bottle", "GLASS_BOTTLE", "소주병"),
    ("빈 맥주병 3개", "GLASS_BOTTLE", "맥주병"),
    ("beer botle", "GLASS_BOTTLE", "맥주병"),  # typo
    ("피자 박스", "GENERAL_WASTE", "기름 묻은 종이"),  # greasy: not paper recycling
    ("pizzabox", "GENERAL_WASTE", "기름 묻은 종이"),
    ("택배 박스", "PAPER", "골판지"),
    ("AA battery", "BATTERY", "알칼리망간전지"),
    ("aa batteries", "BATTERY", "알칼리망간전지"),
    ("다 쓴 건전지", "BATTERY", "알칼리망간전지"),
    ("old AA battery", "BATTERY", "알칼리망간전지"),
    ("보조배터리", "BATTERY", "리튬이온전지"),
    ("맥주 캔", "METAL", "알루미늄캔"),
    ("soda can", "METAL", "알루미늄캔"),
    ("스티로폼", "STYROFOAM", None),
    ("styrofom", "STYROFOAM", None),  # typo
    ("비닐봉투", "VINYL", "일회용 비닐봉투"),
    ("plastic bag", "VINYL", "일회용 비닐봉투"),
    ("라면 봉지", "VINYL", "비닐포장재"),
    ("냉장거", "ELECTRONICS", "냉장고"),  # typo
    ("refridgerator", "ELECTRONICS", "냉장고"),  # typo
    ("쇼파", "BULKY_WASTE", "소파"),
    ("계란 껍질", "GENERAL_WASTE", "달걀 껍데기"),  # eggshells are not food waste
    ("banana peel", "FOOD_WASTE", "과일 껍질"),
    ("형광등", "LIGHTING", "직관형 형광등"),
    ("깨진 유리컵", "NONCOMBUSTIBLE_WASTE", "깨진 유리"),
    ("유통기한 지난 약", "HAZARDOUS_WASTE", "폐의약품"),
    ("ＴＳＨＩＲＴ", "CLOTHING", "티셔츠"),  # full-width letters
    ("cardbord", "PAPER", "골판지"),  # typo
]


@pytest.mark.parametrize(("text", "code", "item"), HINTS, ids=[h[0] for h in HINTS])
async def test_hint_classifies(hint: HintClassifier, text: str, code: str, item: str | None):
    result = await hint.classify(image=IMAGE, content_type="image/jpeg", hint=text)
    assert result.category_code == code, (text, result)
    if item is not None:
        assert result.item_name == item
    assert 0.65 <= result.confidence <= 0.95


async def test_hint_confidence_ranks_exact_over_contained_over_typo(hint: HintClassifier):
    exact = hint.match("생수병")
    contained = hint.match("빈 생수병 500ml")
    typo = hint.match("패트병")
    assert exact.confidence == 0.95
    assert exact.confidence > contained.confidence > typo.confidence >= 0.65


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "\n\t",
        "?!",
        "qzxjvwk",
        "hello world",
        "이거 뭐예요",
        "1234",
        "스마트워치",  # no such item; 스마트폰 is close but not close enough
        "textile",  # "tile" is inside the word, not a word of the hint
        "건전지 충전기",  # two categories, equally good: ambiguous, never a guess
        "생수병 " * 60,  # far too long (240 characters)
    ],
)
async def test_hint_unclassified(hint: HintClassifier, text: str | None):
    with pytest.raises(Unclassified) as raised:
        await hint.classify(image=IMAGE, content_type="image/jpeg", hint=text)
    assert raised.value.reason


async def test_hint_reasons(hint: HintClassifier):
    with pytest.raises(Unclassified, match="no hint"):
        hint.match("  ")
    with pytest.raises(Unclassified, match="200"):
        hint.match("가" * 201)
    with pytest.raises(Unclassified, match="ambiguous"):
        hint.match("건전지 충전기")


async def test_hint_ignores_the_image_and_is_deterministic(hint: HintClassifier):
    first = [hint.match(text) for text, _, _ in HINTS]
    again = HintClassifier(TAXONOMY)
    for image in (b"", IMAGE, b"anything"):
        results = [
            await again.classify(image=image, content_type="image/png", hint=text)
            for text, _, _ in HINTS
        ]
        assert results == first


async def test_hint_default_taxonomy_and_protocol():
    classifier = HintClassifier()
    assert classifier.name == "offline-hint"
    assert isinstance(classifier, Classifier)
    assert classifier.match("우유팩") == Classification("PAPER_PACK", "우유팩", 0.95)


# ------------------------------------------------------------------ vision classifier


@pytest.fixture
async def vision(fake_openai) -> AsyncIterator[VisionClassifier]:
    fake_openai.api_key = API_KEY
    classifier = VisionClassifier(
        base_url=fake_openai.base_url,
        api_key=API_KEY,
        model="gpt-4o-mini",
        timeout_seconds=2,
        taxonomy=TAXONOMY,
    )
    yield classifier
    await classifier.aclose()


def answer(code: str, item: str | None = "생수병", confidence: Any = 0.9) -> dict[str, Any]:
    return {"category_code": code, "item_name": item, "confidence": confidence}


async def classify(classifier: VisionClassifier, hint: str | None = "물병") -> Classification:
    return await classifier.classify(image=IMAGE, content_type="image/jpeg", hint=hint)


async def test_vision_good_answer_and_the_request_it_sent(vision: VisionClassifier, fake_openai):
    fake_openai.enqueue(answer=answer("CLEAR_PET", "생수병", 0.87))

    result = await classify(vision, hint="빈 물병")

    # A known synonym is stored under the taxonomy's own item name.
    assert result == Classification("CLEAR_PET", "먹는샘물 PET병", 0.87)
    assert vision.name == "vision:gpt-4o-mini"
    (request,) = fake_openai.requests
    assert request.authorization == f"Bearer {API_KEY}"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert request.texts == ["빈 물병"]
    (url,) = request.image_urls
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == IMAGE
    prompt = request.system_prompt
    for code in LEAF_CODES:
        assert f"- {code}: " in prompt
    assert len(LEAF_CODES) == 18
    assert "RECYCLABLE:" not in prompt  # the umbrella category has no items of its own
    assert "UNCLASSIFIED" in prompt
    for category in TAXONOMY:
        if category.items:
            assert f"{category.name_ko} / {category.name_en}" in prompt
    assert "JSON" in prompt


async def test_vision_no_hint_and_no_key(fake_openai):
    fake_openai.enqueue(answer=answer("battery", "건전지", 1.7))  # lower case, over 1
    classifier = VisionClassifier(base_url=fake_openai.base_url + "/", api_key=None, model="m")
    try:
        result = await classifier.classify(image=IMAGE, content_type="image/png", hint=None)
    finally:
        await classifier.aclose()
    assert result == Classification("BATTERY", "알칼리망간전지", 1.0)  # clamped
    (request,) = fake_openai.requests
    assert request.authorization is None
    assert request.texts == ["No hint."]
    assert request.image_urls[0].startswith("data:image/png;base64,")


async def test_vision_unknown_item_name_is_kept(vision: VisionClassifier, fake_openai):
    fake_openai.enqueue(answer=answer("GLASS_BOTTLE", "  막걸리병 ", 0.6))
    assert await classify(vision) == Classification("GLASS_BOTTLE", "막걸리병", 0.6)
    fake_openai.enqueue(answer=answer("GLASS_BOTTLE", None, 0.6))
    assert await classify(vision) == Classification("GLASS_BOTTLE", None, 0.6)


async def test_vision_fenced_json(vision: VisionClassifier, fake_openai):
    fenced = "```json\n" + json.dumps(answer("PAPER_PACK", "우유팩", 0.8)) + "\n```"
    fake_openai.enqueue(content=fenced)
    assert await classify(vision) == Classification("PAPER_PACK", "우유팩", 0.8)
    fake_openai.enqueue(content="Here you go:\n" + fenced + "\nThanks")
    assert await classify(vision) == Classification("PAPER_PACK", "우유팩", 0.8)


async def test_vision_code_outside_the_taxonomy_is_rejected(vision: VisionClassifier, fake_openai):
    fake_openai.enqueue(answer=answer("PLASTIC_BOTTLE"))
    with pytest.raises(PermanentClassifierError, match="not in the taxonomy"):
        await classify(vision)
    fake_openai.enqueue(answer=answer("RECYCLABLE"))  # a real code, but not a leaf on offer
    with pytest.raises(PermanentClassifierError, match="not in the taxonomy"):
        await classify(vision)


async def test_vision_unclassified(vision: VisionClassifier, fake_openai):
    fake_openai.enqueue(answer={"category_code": "UNCLASSIFIED", "item_name": None})
    with pytest.raises(Unclassified, match="could not tell"):
        await classify(vision)
    fake_openai.enqueue(answer=answer("CLEAR_PET", "생수병", 0.29))
    with pytest.raises(Unclassified, match="unsure"):
        await classify(vision)
    fake_openai.enqueue(answer=answer("CLEAR_PET", "생수병", -3))  # clamped to 0: unsure
    with pytest.raises(Unclassified):
        await classify(vision)


@pytest.mark.parametrize(
    "behaviour",
    [
        {"content": "It is a PET bottle."},
        {"content": '{"category_code": "CLEAR_PET", "confidence": 0.9'},  # cut short
        {"content": "[1, 2, 3]"},
        {"answer": {"item_name": "생수병", "confidence": 0.9}},  # no code
        {"answer": answer("CLEAR_PET", confidence="high")},
        {"answer": answer("CLEAR_PET", confidence=True)},
        {"answer": answer("CLEAR_PET", confidence=None)},
        {"answer": answer(42)},
        {"answer": answer("CLEAR_PET", item=["생수병"])},
        {"content": ""},
    ],
    ids=lambda b: json.dumps(b, ensure_ascii=False)[:40],
)
async def test_vision_malformed_answers_are_permanent(
    vision: VisionClassifier, fake_openai, behaviour: dict[str, Any]
):
    fake_openai.script([behaviour])
    with pytest.raises(PermanentClassifierError):
        await classify(vision)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_vision_server_errors_and_rate_limits_are_transient(
    vision: VisionClassifier, fake_openai, status: int
):
    fake_openai.enqueue(status=status, headers={"retry-after": "7"})
    with pytest.raises(TransientClassifierError, match=f"HTTP {status}") as raised:
        await classify(vision)
    assert raised.value.retry_after == 7.0


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_vision_client_errors_are_permanent(
    vision: VisionClassifier, fake_openai, status: int
):
    fake_openai.enqueue(status=status, error="nope")
    with pytest.raises(PermanentClassifierError, match=f"HTTP {status}: nope"):
        await classify(vision)


async def test_vision_wrong_key_is_permanent_and_not_echoed(fake_openai):
    fake_openai.api_key = API_KEY
    wrong = "sk-wrong-key-0000"
    classifier = VisionClassifier(base_url=fake_openai.base_url, api_key=wrong, model="m")
    try:
        with pytest.raises(PermanentClassifierError, match="HTTP 401") as raised:
            await classifier.classify(image=IMAGE, content_type="image/jpeg", hint=None)
    finally:
        await classifier.aclose()
    assert wrong not in str(raised.value) and API_KEY not in str(raised.value)
    assert wrong not in repr(classifier)
    assert fake_openai.pending == 0


async def test_vision_timeout_is_transient(vision: VisionClassifier, fake_openai):
    fake_openai.enqueue(answer=answer("CLEAR_PET"), delay=4)  # the client waits 2 s
    with pytest.raises(TransientClassifierError, match="no answer within 2s"):
        await classify(vision)


async def test_vision_connection_refused_is_transient():
    classifier = VisionClassifier(base_url="http://127.0.0.1:9/v1", api_key=None, model="m")
    try:
        with pytest.raises(TransientClassifierError):
            await classifier.classify(image=IMAGE, content_type="image/jpeg", hint=None)
    finally:
        await classifier.aclose()


async def test_vision_rejects_what_it_cannot_send(vision: VisionClassifier, fake_openai):
    with pytest.raises(PermanentClassifierError, match="content type"):
        await vision.classify(image=IMAGE, content_type="application/pdf", hint=None)
    with pytest.raises(PermanentClassifierError, match="empty"):
        await vision.classify(image=b"", content_type="image/jpeg", hint=None)
    assert fake_openai.requests == []


# ------------------------------------------------------------------ settings


async def test_classifier_from_settings(fake_openai):
    offline = classifier_from_settings(
        backend="offline-hint",
        vision_base_url=None,
        vision_api_key=None,
        vision_model=None,
        vision_timeout_seconds=30,
    )
    assert isinstance(offline, HintClassifier)

    remote = classifier_from_settings(
        backend="vision",
        vision_base_url=fake_openai.base_url,
        vision_api_key="",
        vision_model="llava",
        vision_timeout_seconds=5,
    )
    assert isinstance(remote, VisionClassifier) and isinstance(remote, Classifier)
    assert remote.name == "vision:llava" and remote.timeout_seconds == 5
    await remote.aclose()

    for base_url, model, missing in [(None, "llava", "base URL"), ("http://x/v1", " ", "model")]:
        with pytest.raises(ValueError, match=missing):
            classifier_from_settings(
                backend="vision",
                vision_base_url=base_url,
                vision_api_key=None,
                vision_model=model,
                vision_timeout_seconds=30,
            )
    with pytest.raises(ValueError, match="unknown classifier backend"):
        classifier_from_settings(
            backend="magic",
            vision_base_url=None,
            vision_api_key=None,
            vision_model=None,
            vision_timeout_seconds=30,
        )
