"""The built documentation renders offline: formulas typeset, nothing fetched remotely.

These tests read the site that ``sphinx-build -b html docs docs/_build/html`` wrote
(``.ci/run`` builds it before the tests; ``SKLEARN_LT_DOCS_SITE`` names another
build) and open its pages in headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, driven by Selenium) with the network
off. They skip, saying why, when the site has not been built or the browser is
absent; ``SKLEARN_LT_REQUIRE_BROWSER=1`` (set by ``.ci/run`` once it has installed
the browser) turns those skips into failures.
"""

import json
import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

# SKLEARN_LT_DOCS_SITE checks a site built elsewhere.
SITE = Path(
    os.environ.get("SKLEARN_LT_DOCS_SITE")
    or Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
)
REQUIRED = os.environ.get("SKLEARN_LT_REQUIRE_BROWSER") == "1"

# Schemes a page may load from without leaving the built site.
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def _unavailable(reason):
    if REQUIRED:
        pytest.fail(f"{reason}, but SKLEARN_LT_REQUIRE_BROWSER=1 asks for the check")
    pytest.skip(reason)


def _pages():
    if not (SITE / "index.html").is_file():
        return []
    return sorted(
        page
        for page in SITE.rglob("*.html")
        if "_sources" not in page.parts and "_static" not in page.parts
    )


class _ResourceParser(HTMLParser):
    """Collects the URLs a page loads by itself (scripts, styles, images, frames)."""

    # (tag, attribute) pairs that the browser fetches when it renders the page;
    # <a href> is a link the reader may follow, not a load, and is left out.
    LOADS = {
        ("script", "src"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("video", "src"),
        ("audio", "src"),
        ("embed", "src"),
        ("object", "data"),
        ("link", "href"),
    }

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for loaded_tag, attribute in self.LOADS:
            if tag != loaded_tag or not attrs.get(attribute):
                continue
            # <link rel="canonical|next|prev|index|search"> are navigation, not loads.
            rel = set((attrs.get("rel") or "").split())
            if tag == "link" and not rel & {
                "stylesheet",
                "preload",
                "icon",
                "modulepreload",
            }:
                continue
            self.urls.append(attrs[attribute])


def test_no_page_names_a_remote_resource():
    pages = _pages()
    if not pages:
        pytest.skip(f"the docs are not built at {SITE} (run sphinx-build first)")
    remote = {}
    for page in pages:
        parser = _ResourceParser()
        parser.feed(page.read_text(encoding="utf-8"))
        found = [
            url for url in parser.urls if urlparse(url).scheme in {"http", "https"}
        ]
        found += [url for url in parser.urls if url.startswith("//")]
        if found:
            remote[str(page.relative_to(SITE))] = found
    assert not remote, f"pages that load remote resources: {remote}"


@pytest.fixture(scope="module")
def browser():
    if not _pages():
        _unavailable(f"the docs are not built at {SITE} (run sphinx-build first)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        _unavailable(
            "needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        # The network is off: every host name fails to resolve and any proxied
        # request goes to a closed port.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=driver_path), options=options
    )
    driver.set_script_timeout(40)
    try:
        yield driver
    finally:
        driver.quit()


def _requests(driver):
    """URLs the page asked for since the last call, from the DevTools log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


# Wait for MathJax to finish typesetting; resolve at once on a page without it. The
# script is deferred, and on a loaded machine it may not have started when the page
# reports itself loaded: poll for it (up to 20 s) rather than take its absence.
_WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
if (!Array.from(document.scripts).some((s) => /mathjax/i.test(s.src))) {
    done(null);
    return;
}
const start = Date.now();
(function poll() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(() => done(
            document.querySelectorAll("mjx-container").length
        )).catch((error) => done("error: " + error));
    } else if (Date.now() - start > 20000) {
        done("error: MathJax did not start within 20 s");
    } else {
        setTimeout(poll, 50);
    }
})();
"""


def _typeset(browser, page):
    """Open ``page`` and wait for MathJax: its count of typeset formulas, or None."""
    browser.get(page.as_uri())
    expected = "mathjax" in page.read_text(encoding="utf-8").lower()
    # Now and then (seen under load, on a different page each run) the script's
    # first look finds no MathJax on a page that has it; a second look finds it.
    for _ in range(3):
        rendered = browser.execute_async_script(_WAIT_FOR_MATH)
        if rendered is not None or not expected:
            return rendered
        time.sleep(0.5)
    return rendered


def _math_pages():
    return [p for p in _pages() if 'class="math' in p.read_text(encoding="utf-8")]


def test_every_page_renders_its_formulas_and_stays_inside_the_site(browser):
    pages = _pages()
    math_pages = set(_math_pages())
    assert len(math_pages) >= 5, (
        f"expected formulas on the guide pages, got {math_pages}"
    )
    unrendered, errors, left_site = {}, {}, {}
    _requests(browser)
    for page in pages:
        rendered = _typeset(browser, page)
        name = str(page.relative_to(SITE))
        if isinstance(rendered, str):
            errors[name] = rendered
        text = browser.execute_script("return document.body.innerText")
        if page in math_pages:
            # Sphinx writes inline math as \( ... \) and display math as \[ ... \];
            # once typeset, neither delimiter is left in the text a reader sees.
            raw = re.findall(r"\\[(\[]", text)
            if not rendered or raw:
                unrendered[name] = (rendered, len(raw))
        remote = [
            u for u in _requests(browser) if urlparse(u).scheme not in LOCAL_SCHEMES
        ]
        if remote:
            left_site[name] = remote
    assert not errors, f"MathJax failed on: {errors}"
    assert not left_site, f"requests that left the site: {left_site}"
    assert not unrendered, f"formulas left as raw LaTeX (containers, raw): {unrendered}"


def test_mathjax_is_served_by_the_site(browser):
    page = SITE / "user_guide.html"
    assert _typeset(browser, page)
    scripts = browser.execute_script(
        "return Array.from(document.scripts, s => s.src).filter(s => s)"
    )
    mathjax = [src for src in scripts if "mathjax" in src.lower()]
    assert mathjax, f"no MathJax script on the user guide; scripts: {scripts}"
    assert all(src.startswith((SITE / "_static").as_uri()) for src in mathjax), mathjax
