"""The example web app (examples/web) in a real Chromium against the real stack.

Sign up, pick a real JPEG on the page, upload it, watch the progress bar reach DONE, read
the guide, the not-accepted items and the nearest drop-off points, switch to English, come
back with an expiring token (refreshed), log out and in again.
Drives Debian's Chromium through Playwright (its own browser download is impossible
here); a failure leaves screenshots in .data/test/screenshots/.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from PIL import Image

from devstack.paths import REPO_ROOT, data_dir
from devstack.testing import RunningStack, new_email

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
WEB = REPO_ROOT / "examples" / "web"
VITE = WEB / "node_modules" / ".bin" / "vite"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="install chromium: apt-get install chromium fonts-noto-cjk"
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web_app(web_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app built by Vite, served on the origin the stack's CORS lists allow."""
    if not VITE.exists():
        pytest.fail("examples/web/node_modules is missing: run `make setup`")
    out = tmp_path_factory.mktemp("web-dist")
    subprocess.run(
        [str(VITE), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "warn"],
        cwd=WEB,
        check=True,
        timeout=300,
    )
    address = urlsplit(web_origin)
    server = ThreadingHTTPServer(
        (address.hostname or "127.0.0.1", address.port or 80),
        partial(_Quiet, directory=str(out)),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web_origin
    finally:
        server.shutdown()
        server.server_close()


def _photo(path: Path) -> Path:
    """A real phone-like JPEG (with EXIF GPS), as a person would pick from their gallery."""
    image = Image.new("RGB", (640, 480), (20, 140, 210))
    for x in range(200, 440):
        for y in range(60, 420, 7):
            image.putpixel((x, y), (240, 240, 250))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 59.4), 3: "E", 4: (126.0, 58.0, 40.8)}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_the_whole_flow_in_chromium(
    running: RunningStack, web_app: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = data_dir() / "test" / "screenshots"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, chromium_sandbox=False
        )
        context = browser.new_context(
            locale="ko-KR",
            geolocation={"latitude": 37.5665, "longitude": 126.978},
            permissions=["geolocation"],
        )
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.set_default_timeout(30_000)
        try:
            page.goto(f"{web_app}/?api={quote(running.gateway_url, safe='')}")
            # Sign up.
            email, password = new_email(), "correct horse battery staple 42"
            page.fill("#email", email)
            page.fill("#password", password)
            page.fill("#nickname", "브라우저")
            page.click("#sign-up")
            expect(page.locator("#me")).to_contain_text("브라우저")
            expect(page.locator("#points")).to_have_text("0")

            # Pick a real JPEG and analyse it.
            page.set_input_files("#photo", str(_photo(tmp_path / "bottle.jpg")))
            page.fill("#hint", "생수병")
            page.click("#analyse")
            expect(page.locator("#progress")).to_have_attribute("data-stage", "DONE")
            assert page.locator("#progress").evaluate("bar => bar.value") == 100
            expect(page.locator("#stage-message")).to_have_text("완료! 10포인트를 받았어요.")

            # The guide, what does not belong, where to take it.
            expect(page.locator("#verdict")).to_contain_text("페트")
            assert page.locator("#steps li").count() > 0
            assert page.locator("#not-accepted li").count() > 0
            nearby = page.locator("#nearby li")
            expect(nearby.first).to_contain_text("km")
            assert nearby.count() > 0
            expect(nearby.first.locator(".open-state")).to_have_text(
                ["영업 중", "영업 종료", "운영 시간 모름"][0:3][
                    ["true", "false", "null"].index(nearby.first.get_attribute("data-open"))
                ]
            )
            expect(page.locator("#points-earned")).to_contain_text("+10")
            expect(page.locator("#points")).to_have_text("10")
            expect(page.locator("#history li[data-status=SUCCEEDED]")).to_have_count(1)

            # English.
            page.click("#language")
            expect(page.locator("h1")).to_have_text("Bunri — waste sorting helper")
            expect(page.locator("#result h3").last).to_have_text("Nearest drop-off points")
            # The API's texts too: category, guide steps, greeting (no Hangul left).
            hangul = re.compile("[가-힣]")
            # The category's name (the item name is the catalogue's, as classified).
            expect(page.locator("#verdict")).to_have_text(re.compile(r"^[^가-힣]*PET[^가-힣]* — "))
            expect(page.locator("#steps li").first).not_to_have_text(hangul)
            expect(page.locator("#me")).to_contain_text("Hello")
            expect(page.locator("#stage-message")).to_have_text("Done! You earned 10 points.")

            # An access token about to expire: the reloaded app refreshes the session
            # (refreshSession rotates the refresh token) and goes on signed in.
            before = page.evaluate("JSON.parse(localStorage.getItem('bunri.session'))")
            page.evaluate(
                "localStorage.setItem('bunri.session', JSON.stringify("
                "{...JSON.parse(localStorage.getItem('bunri.session')), expiresAt: 0}))"
            )
            page.reload()
            expect(page.locator("#points")).to_have_text("10")
            after = page.evaluate("JSON.parse(localStorage.getItem('bunri.session'))")
            assert after["refreshToken"] != before["refreshToken"]
            assert after["expiresAt"] > before["expiresAt"]

            # Log out, log in again.
            page.click("#log-out")
            expect(page.locator("#auth")).to_be_visible()
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("#log-in")
            expect(page.locator("#me")).to_contain_text("브라우저")
            expect(page.locator("#history li[data-status=SUCCEEDED]")).to_have_count(1)
            assert problems == [], problems
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "last-success.png"), full_page=True)
        except Exception:
            shots.mkdir(parents=True, exist_ok=True)
            shot = shots / f"{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}; page problems: {problems}")
            raise
        finally:
            context.close()
            browser.close()
