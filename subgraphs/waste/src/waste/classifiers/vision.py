"""A vision model behind any OpenAI-compatible chat-completions API (OpenAI, vLLM, Ollama, LM
Studio …) classifies the photo, helped by the user's hint.

One request per photo: a system prompt listing the allowed category codes (every taxonomy
category that has items, with its Korean and English names and a few example items) and a user
message with the hint and the image as a base64 data URL. The model must answer with one JSON
object, `{"category_code": ..., "item_name": ..., "confidence": ...}`; the answer is checked
against the taxonomy before anything else sees it:

* "UNCLASSIFIED" or confidence below `MIN_CONFIDENCE` → `Unclassified`
* a code that is not one of the allowed codes, missing or mistyped fields, a body that is not
  the chat-completions shape → `PermanentClassifierError` (never stored)
* timeouts, connection errors, 429 and 5xx (and 408) → `TransientClassifierError`
* any other 4xx → `PermanentClassifierError` with the status (the API key is never echoed)
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import re
from collections.abc import Iterable
from typing import Any

import httpx

from bunri_shared.taxonomy import CategoryEntry, load_taxonomy
from bunri_shared.taxonomy.terms import normalise
from waste.classifiers.base import (
    Classification,
    PermanentClassifierError,
    TransientClassifierError,
    Unclassified,
)

UNCLASSIFIED = "UNCLASSIFIED"
MIN_CONFIDENCE = 0.3
EXAMPLES_PER_CATEGORY = 8
MAX_HINT_CHARS = 500
MAX_ITEM_NAME_CHARS = 100
_FENCED = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)

log = logging.getLogger(__name__)


def build_system_prompt(categories: Iterable[CategoryEntry]) -> str:
    lines = [
        "You classify a photo of one household item for separate waste disposal in South Korea",
        "(분리배출). Choose exactly one category code from this list",
        "(code: Korean name / English name; example items):",
    ]
    for category in categories:
        examples = ", ".join(item.name_ko for item in category.items[:EXAMPLES_PER_CATEGORY])
        lines.append(f"- {category.code}: {category.name_ko} / {category.name_en}; e.g. {examples}")
    lines += [
        "",
        "The user's message may carry a short hint about the item (Korean or English). Use it,",
        "but trust the photo when the two disagree.",
        "Answer with exactly one JSON object and nothing else:",
        '{"category_code": "<one code from the list>", "item_name": "<short Korean name of the '
        'item>", "confidence": <number from 0.0 to 1.0>}',
        f"If you are unsure, the photo shows no disposable item, or no code fits, answer "
        f'{{"category_code": "{UNCLASSIFIED}", "item_name": null, "confidence": 0.0}}.',
        "Never invent a code that is not in the list.",
    ]
    return "\n".join(lines)


class VisionClassifier:
    """Classify photos with a vision model behind an OpenAI-compatible chat-completions API."""

    reads_image = True

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout_seconds: float = 30,
        taxonomy: Iterable[CategoryEntry] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"vision base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ValueError("vision model must not be empty")
        if timeout_seconds <= 0:
            raise ValueError("vision timeout_seconds must be positive")
        entries = load_taxonomy() if taxonomy is None else list(taxonomy)
        self.categories: tuple[CategoryEntry, ...] = tuple(e for e in entries if e.items)
        if not self.categories:
            raise ValueError("the taxonomy has no categories with items")
        self.allowed_codes: frozenset[str] = frozenset(c.code for c in self.categories)
        # Per category: normalised item name/synonym → the item's Korean name, so an answer
        # naming a known item is stored under the taxonomy's own name.
        self._item_names: dict[str, dict[str, str]] = {
            c.code: {
                normalise(term): item.name_ko
                for item in c.items
                for term in (item.name_ko, item.name_en, *item.synonyms)
            }
            for c in self.categories
        }
        self.name = f"vision:{model}"
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout_seconds = timeout_seconds
        self.system_prompt = build_system_prompt(self.categories)
        self._api_key = api_key or None
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout_seconds), follow_redirects=False
        )

    def __repr__(self) -> str:  # never show the key
        return f"VisionClassifier(url={self.url!r}, model={self.model!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    def request_body(self, *, image: bytes, content_type: str, hint: str | None) -> dict[str, Any]:
        text = hint.strip()[:MAX_HINT_CHARS] if hint and hint.strip() else "No hint."
        data_url = f"data:{content_type};base64,{base64.b64encode(image).decode('ascii')}"
        return {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": self.system_prompt},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": text},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                },
            ],
        }

    async def classify(
        self, *, image: bytes, content_type: str, hint: str | None
    ) -> Classification:
        if not image:
            raise PermanentClassifierError("empty image")
        if not content_type.startswith("image/"):
            raise PermanentClassifierError(f"unsupported content type {content_type!r}")
        body = self.request_body(image=image, content_type=content_type, hint=hint)
        response = await self._post(body)
        return self._parse(response)

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            # httpx's timeout bounds each read/write; this bounds the whole exchange.
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._client.post(self.url, json=body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise TransientClassifierError(
                f"{self.name}: no answer within {self.timeout_seconds:g}s"
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise PermanentClassifierError(f"{self.name}: {self._redact(str(exc))}") from exc
        except httpx.TransportError as exc:
            raise TransientClassifierError(
                f"{self.name}: {type(exc).__name__}: {self._redact(str(exc))}"
            ) from exc
        except httpx.HTTPError as exc:
            raise PermanentClassifierError(
                f"{self.name}: {type(exc).__name__}: {self._redact(str(exc))}"
            ) from exc

        status = response.status_code
        if status == 200:
            return response
        detail = self._error_detail(response)
        reason = f"{self.name}: HTTP {status}" + (f": {detail}" if detail else "")
        if status in (408, 429) or status >= 500:
            raise TransientClassifierError(
                reason, retry_after=_retry_after(response.headers.get("retry-after"))
            )
        raise PermanentClassifierError(reason)

    def _parse(self, response: httpx.Response) -> Classification:
        try:
            payload = response.json()
            message = payload["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise PermanentClassifierError(f"{self.name}: not a chat-completions response") from exc
        if not isinstance(message, dict):
            raise PermanentClassifierError(f"{self.name}: not a chat-completions response")
        content = message.get("content")
        if content is None and message.get("refusal"):
            # The refusal text is the model's: logged, never shown to users.
            log.info("%s refused: %s", self.name, str(message["refusal"])[:200])
            raise Unclassified("the model declined to classify the image")
        if not isinstance(content, str) or not content.strip():
            raise PermanentClassifierError(f"{self.name}: the answer has no text content")
        answer = _json_object(content)
        if answer is None:
            raise PermanentClassifierError(
                f"{self.name}: the answer is not a JSON object: {content[:200]!r}"
            )
        return self._check(answer)

    def _check(self, answer: dict[str, Any]) -> Classification:
        code = answer.get("category_code")
        if not isinstance(code, str) or not code.strip():
            raise PermanentClassifierError(f"{self.name}: category_code missing or not a string")
        code = code.strip().upper()
        if code == UNCLASSIFIED:
            raise Unclassified("the model could not tell")

        confidence = answer.get("confidence")
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not math.isfinite(confidence)
        ):
            raise PermanentClassifierError(f"{self.name}: confidence missing or not a number")
        confidence = min(1.0, max(0.0, float(confidence)))

        if code not in self.allowed_codes:
            raise PermanentClassifierError(
                f"{self.name}: category code {code[:60]!r} is not in the taxonomy"
            )

        item_name = answer.get("item_name")
        if item_name is not None and not isinstance(item_name, str):
            raise PermanentClassifierError(f"{self.name}: item_name is not a string")
        item_name = (item_name or "").strip()[:MAX_ITEM_NAME_CHARS] or None
        if item_name is not None:
            item_name = self._item_names[code].get(normalise(item_name), item_name)

        if confidence < MIN_CONFIDENCE:
            raise Unclassified(f"the model was unsure ({code}, confidence {confidence:.2f})")
        return Classification(code, item_name, confidence)

    def _error_detail(self, response: httpx.Response) -> str:
        try:
            error = response.json().get("error")
            detail = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            detail = response.text
        return self._redact(str(detail or "").strip())[:300]

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _json_object(content: str) -> dict[str, Any] | None:
    """The JSON object in the answer: bare, in a ```json fence, or wrapped in a little prose."""
    candidates = [content.strip()]
    fenced = _FENCED.search(content)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = content.find("{"), content.rfind("}")
    if 0 <= start < end:
        candidates.append(content[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
