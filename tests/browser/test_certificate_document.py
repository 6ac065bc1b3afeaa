"""The certificate document and the verification page as a procurement officer or a lawyer sees
them in Chromium, at 1280 px and at phone width (390 px), and printed to A4 PDF: lineages with six
and with thirty direct parents, names in several scripts and with direction controls; valid,
revoked, tampered and expired certificates.

Geometry is checked in the browser itself: no edge of the lineage picture crosses a box, every
label stays inside its box, and no element overflows the viewport (the picture scrolls inside its
own box). PDFs are printed by Chromium's own print-to-PDF (the DevTools protocol's
Page.printToPDF, as `chromium --print-to-pdf` does) and read back with pypdf. Screenshots and PDFs
are kept in the artifacts folder.
"""

import base64
import datetime
import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By

from conftest import PUBLIC_URL

# Names in several scripts, one with a right-to-left override that would make the text after it
# read backwards, and one long enough to need shortening.
SIX_PARENTS = [
    "wiki",
    "books-licensed",
    "中文语料-数据集",
    "بيانات-عربية",
    "Очень-длинное-название-набора-данных-для-проверки-ширины",
    "invoice\u202egnp.exe",
]


def register_attested(server, name, *extra):
    dataset = server.register(name, "--public", *extra)
    server.attest(dataset)
    return dataset


@pytest.fixture(scope="session")
def lineages(server):
    """Two certified lineages: six direct parents (several scripts, a direction control, and
    grandparents whose edges span two layers) and thirty direct parents. Returns, for each, the
    certificate id and its token file, and under "six-dataset" the six-parent mix's id."""
    origin = register_attested(server, "origin-corpus")
    raw = register_attested(server, "raw-crawl", "--parent", origin)
    hindi = register_attested(server, "अनुवाद-हिन्दी")
    parents = []
    for name in SIX_PARENTS:
        extra = []
        if name in ("wiki", "books-licensed"):
            extra = ["--parent", raw]
        if name == "books-licensed":
            # origin -> books-licensed spans two layers: it must pass raw-crawl's layer clear.
            extra += ["--parent", origin]
        if name.startswith("invoice"):
            extra = ["--parent", hindi]
        parents.append(register_attested(server, name, *extra))
    six = server.register("contract-mix", *[a for p in parents for a in ("--parent", p)])
    server.attest(six)

    shared = register_attested(server, "common-crawl-2026")
    shards = []
    for i in range(30):
        extra = ["--parent", shared] if i % 10 == 0 else []
        shards.append(register_attested(server, f"shard-{i:02d}-filtered-deduplicated", *extra))
    thirty = server.register("thirty-shard-mix", *[a for s in shards for a in ("--parent", s)])
    server.attest(thirty)

    found = {}
    for key, dataset in (("six", six), ("thirty", thirty)):
        path = server.dir / f"{key}.cert.jws"
        found[key] = (server.issue(dataset, path), path)
    found["six-dataset"] = six
    return found


def viewport(browser, width, height=1000):
    """The page's viewport exactly `width` CSS pixels wide, as a phone's (390) or a desktop's."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def reset_viewport(browser):
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def verify(browser, server, token, audience="", as_of=""):
    browser.get(f"{server.url}/verify")
    browser.find_element(By.ID, "token").send_keys(token)
    if audience:
        browser.find_element(By.ID, "audience").send_keys(audience)
    if as_of:
        browser.find_element(By.ID, "as_of").send_keys(as_of)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return browser.find_element(By.ID, "result").text


def render(server, path, name):
    rendered = server.dir / f"{name}.html"
    server.provctl("cert", "render", str(path), "--out", str(rendered))
    return rendered


# Every edge's corners, every box, and every label's box with its box, in the SVG's coordinates.
GEOMETRY = """
const svg = document.querySelector('svg.lineage');
const rects = [...svg.querySelectorAll('g.node rect')].map(r => {
  const b = r.getBBox(); return [b.x, b.y, b.width, b.height];
});
const edges = [...svg.querySelectorAll('polyline.edge')].map(p => {
  const out = [];
  for (let i = 0; i < p.points.numberOfItems; i++) {
    const q = p.points.getItem(i); out.push([q.x, q.y]);
  }
  return out;
});
const labels = [];
for (const g of svg.querySelectorAll('g.node')) {
  const r = g.querySelector('rect').getBBox();
  for (const t of g.querySelectorAll('text')) {
    const b = t.getBBox();
    labels.push({text: t.textContent, label: [b.x, b.y, b.width, b.height], box: [r.x, r.y, r.width, r.height]});
  }
}
const shown = svg.getBoundingClientRect();
const size = parseFloat(getComputedStyle(svg.querySelector('g.node text')).fontSize);
return {rects, edges, labels, drawnWidth: shown.width, width: svg.width.baseVal.value, size,
        box: svg.parentElement.getBoundingClientRect().width,
        scrolls: svg.parentElement.scrollWidth > svg.parentElement.clientWidth};
"""

# Elements that stick out of the viewport, except those inside a box that scrolls or clips them.
OVERFLOW = """
const vw = document.documentElement.clientWidth;
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  let p = el.parentElement, inside = false;
  while (p && p !== document.body) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') { inside = true; break; }
    p = p.parentElement;
  }
  if (inside) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right > vw + 1 || r.left < -1) bad.push(`${el.tagName}.${el.className} ${r.left.toFixed(0)}..${r.right.toFixed(0)}`);
}
return {vw, scrollWidth: document.documentElement.scrollWidth, bad: bad.slice(0, 10)};
"""


def crosses(a, b, rect, inset=1.0):
    """Whether segment a-b passes through the rectangle (x, y, w, h) shrunk by `inset` (an arrow
    ends on a box's border, which is not crossing it). Liang-Barsky clipping."""
    x0, y0 = rect[0] + inset, rect[1] + inset
    x1, y1 = rect[0] + rect[2] - inset, rect[1] + rect[3] - inset
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
        else:
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
    return t0 < t1


def check_picture(browser, expected_parents):
    g = browser.execute_script(GEOMETRY)
    assert len(g["rects"]) >= expected_parents + 1
    assert len(g["edges"]) >= expected_parents
    for e, points in enumerate(g["edges"]):
        for a, b in zip(points, points[1:]):
            for i, rect in enumerate(g["rects"]):
                assert not crosses(a, b, rect), f"edge {e} ({a} -> {b}) crosses box {i} {rect}"
    for label in g["labels"]:
        (x, y, w, h), (bx, by, bw, bh) = label["label"], label["box"]
        assert bx - 0.5 <= x and x + w <= bx + bw + 0.5, f"label {label['text']!r} overflows its box"
    # The picture is drawn at its own size, never shrunk to illegible text: it scrolls instead.
    assert abs(g["drawnWidth"] - g["width"]) < 1, g
    assert g["size"] >= 12, g
    return g


def check_no_overflow(browser):
    found = browser.execute_script(OVERFLOW)
    assert found["scrollWidth"] <= found["vw"], f"the page scrolls sideways: {found}"
    assert not found["bad"], f"elements overflow the viewport: {found}"


def screenshot(browser, artifacts, name, width):
    height = browser.execute_script("return document.documentElement.scrollHeight")
    viewport(browser, width, min(max(height, 800), 12000))
    assert browser.save_screenshot(str(artifacts / f"{name}-{width}.png"))


def print_a4(browser, artifacts, name):
    """The page printed by Chromium to PDF with the page size its CSS asks for (A4); the PDF's
    pages as text."""
    reset_viewport(browser)
    printed = browser.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    pdf = base64.b64decode(printed["data"])
    (artifacts / f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, f"not A4: {width} x {height}"
    return [page.extract_text() for page in reader.pages]


def flat(text):
    """PDF text with its line breaks and spacing evened out and ligatures (ﬁ) undone, for
    searching."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def check_footers(pages, certificate):
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in flat(text), f"page {number}: {text[-300:]}"
        assert certificate in flat(text).replace("- ", "-"), f"page {number} lacks the id"


@pytest.mark.parametrize("lineage,parents", [("six", 6), ("thirty", 30)])
@pytest.mark.parametrize("width", [1280, 390])
def test_no_edge_crosses_a_box_and_nothing_overflows_on_the_page(
    browser, server, lineages, artifacts, lineage, parents, width
):
    certificate, path = lineages[lineage]
    viewport(browser, width)
    result = verify(browser, server, path.read_text().strip())
    assert result.startswith("VALID"), result
    g = check_picture(browser, parents)
    check_no_overflow(browser)
    if width == 390 and lineage == "thirty":
        assert g["scrolls"], "thirty parents scroll inside the picture's own box"
    if width == 390:
        # Tables stack: each label sits above its value, not beside it.
        th = browser.find_element(By.CSS_SELECTOR, "#summary table.facts th")
        td = browser.find_element(By.CSS_SELECTOR, "#summary table.facts td")
        assert th.rect["y"] + th.rect["height"] <= td.rect["y"] + 1
        assert td.rect["width"] > 300
    screenshot(browser, artifacts, f"verify-{lineage}-parents", width)
    reset_viewport(browser)


@pytest.mark.parametrize("lineage,parents", [("six", 6), ("thirty", 30)])
@pytest.mark.parametrize("width", [1280, 390])
def test_no_edge_crosses_a_box_and_nothing_overflows_in_the_document(
    browser, server, lineages, artifacts, lineage, parents, width
):
    certificate, path = lineages[lineage]
    rendered = render(server, path, f"{lineage}-document")
    viewport(browser, width)
    browser.get(rendered.as_uri())
    check_picture(browser, parents)
    check_no_overflow(browser)
    screenshot(browser, artifacts, f"document-{lineage}-parents", width)
    if width == 1280:
        pages = print_a4(browser, artifacts, f"document-{lineage}-parents")
        check_footers(pages, certificate)
    reset_viewport(browser)


def test_every_name_is_in_the_table_in_full_and_scripts_without_a_font_are_flagged(
    browser, server, lineages, artifacts
):
    _, path = lineages["six"]
    browser.get(render(server, path, "six-table").as_uri())
    table = browser.find_element(By.CSS_SELECTOR, "table.lineage-table").text
    for name in SIX_PARENTS + ["raw-crawl", "origin-corpus", "अनुवाद-हिन्दी", "contract-mix"]:
        shown = name.replace("\u202e", "\\u{202e}")
        assert shown in table, f"{shown!r} missing from the table"
    # This machine may have no CJK or Arabic font: such names carry their script and code points.
    assert "Han script; as code points: U+4E2D" in table
    assert "Arabic script" in table and "Devanagari script" in table
    # The direction control is written out: the name reads as it is, not backwards.
    picture = browser.find_element(By.CSS_SELECTOR, "svg.lineage").get_attribute("innerHTML")
    assert "\u202e" not in picture and "invoice\\u{202e}" in picture


def test_a_valid_certificates_first_printed_page_stands_alone(browser, server, lineages, artifacts):
    certificate, path = lineages["six"]
    browser.get(render(server, path, "six-first-page").as_uri())
    assert browser.find_element(By.ID, "headline").text.startswith("VALID: verified ")
    qr = browser.find_element(By.CSS_SELECTOR, "#summary .qr svg")
    assert qr.size["width"] > 80, "a QR code large enough to scan"
    pages = print_a4(browser, artifacts, "valid-certificate")
    check_footers(pages, certificate)
    first = flat(pages[0])
    for needle in [
        "VALID: verified",                       # is it valid, and when was that found
        "contract-mix",                          # what was certified
        "Acme",                                  # by whom (the name, signed)
        "no buyer named",                        # for whom
        "You will not use the Model",            # under which clause, quoted
        "Clean",                                 # the verdict in words
        "Valid from",                            # valid when...
        "as the registry answered at",           # ...and still valid, with the time
        f"{PUBLIC_URL}/verify?certificate=",     # where to verify, the operator's address
        "MSA-2027-001",
    ]:
        assert needle in first, f"{needle!r} not on page 1: {first}"
    assert "`" not in "".join(pages), "no Markdown backticks"
    assert "MANUAL_REVIEW" not in "".join(pages) and "Manual review" in flat("".join(pages))


def test_a_revoked_certificate_says_so_in_the_headline_every_section_and_every_printed_page(
    browser, server, lineages, artifacts
):
    dataset = lineages["six-dataset"]
    revoked_path = server.dir / "revoked-six.cert.jws"
    certificate = server.issue(dataset, revoked_path)
    server.provctl("cert", "revoke", certificate, "--reason", "replaced by the amended contract")
    result = verify(browser, server, revoked_path.read_text().strip())
    assert re.match(r"NOT VALID — REVOKED on \d{4}-\d\d-\d\d \d\d:\d\d UTC: replaced by the amended contract$", result), result
    sections = browser.find_elements(By.CSS_SELECTOR, "main section:not(#summary)")
    assert len(sections) >= 6
    for section in sections:
        banner = section.find_element(By.CSS_SELECTOR, ".banner")
        assert banner.text.startswith("NOT VALID — REVOKED on"), section.text[:100]
    # Nothing green remains: no mark, no verdict, no "matches" reads as valid on its own.
    greens = browser.execute_script("""
        return [...document.querySelectorAll('body *')].filter(el => {
          const s = getComputedStyle(el);
          return [s.color, s.fill, s.stroke, s.backgroundColor].some(c => c === 'rgb(10, 92, 26)' || c === 'rgb(27, 110, 42)' || c === 'rgb(232, 245, 234)' || c === 'rgb(238, 247, 239)');
        }).map(el => el.tagName + ' ' + el.textContent.slice(0, 40));""")
    assert greens == [], greens
    assert browser.find_element(By.CSS_SELECTOR, "tr[data-check=lineage] td.result").text == "NOT CHECKED"
    screenshot(browser, artifacts, "verify-revoked-six", 1280)
    pages = print_a4(browser, artifacts, "verify-revoked")
    for number, text in enumerate(pages, start=1):
        assert "NOT VALID — REVOKED on" in flat(text), f"page {number} does not say it is revoked"
        assert f"page {number} of {len(pages)}" in flat(text)
    reset_viewport(browser)


def test_a_tampered_token_says_the_signature_does_not_verify_on_every_printed_page(
    browser, server, lineages, artifacts
):
    _, path = lineages["six"]
    header, payload, signature = path.read_text().strip().split(".")
    changed = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    result = verify(browser, server, f"{header}.{changed}.{signature}")
    assert result.startswith("NOT VALID — SIGNATURE DOES NOT VERIFY"), result
    assert browser.find_elements(By.CSS_SELECTOR, "svg.lineage") == []
    check_no_overflow(browser)
    pages = print_a4(browser, artifacts, "verify-tampered")
    for text in pages:
        assert "SIGNATURE DOES NOT VERIFY" in flat(text)


def test_an_expired_certificate_judged_on_a_later_date_says_when_it_expired(
    browser, server, lineages, artifacts
):
    _, path = lineages["six"]
    later = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    result = verify(browser, server, path.read_text().strip(), as_of=later)
    assert re.match(r"NOT VALID — EXPIRED on \d{4}-\d\d-\d\d \d\d:\d\d UTC$", result), result
    assert f"judged as of {later}T00:00:00Z" in browser.find_element(By.TAG_NAME, "header").text
    screenshot(browser, artifacts, "verify-expired", 1280)
    reset_viewport(browser)


def test_the_form_keeps_what_was_pasted_after_an_error_and_asks_for_the_organisation(
    browser, server, lineages, artifacts
):
    _, path = lineages["six"]
    token = path.read_text().strip()
    browser.get(f"{server.url}/verify")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "as_of").send_keys("next tuesday")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "as_of: must be a date" in alert
    assert browser.find_element(By.ID, "token").get_attribute("value") == token
    assert browser.find_element(By.ID, "as_of").get_attribute("value") == "next tuesday"
    # Without an organisation id the audience is not checked, and the page asks for one.
    verify(browser, server, token)
    assert browser.find_element(By.CSS_SELECTOR, "tr[data-check=audience] td.result").text == "NOT CHECKED"
    assert browser.find_element(By.ID, "check-audience").is_displayed()
