"""A buyer verifies certificates in a real browser: pastes a token, uploads the rendered
certificate attached to a contract, and sees tampered and revoked certificates refused."""

import base64

from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

from conftest import HOSTILE_NAME, digest


def open_form(browser, server):
    browser.get(f"{server.url}/verify")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Verify a lineage certificate"


def submit(browser):
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return browser.find_element(By.ID, "result").text


def paste(browser, server, token):
    open_form(browser, server)
    browser.find_element(By.ID, "token").send_keys(token)
    return submit(browser)


def checks(browser):
    rows = browser.find_elements(By.CSS_SELECTOR, "#check-table tbody tr")
    return {row.get_attribute("data-check"): row.find_elements(By.TAG_NAME, "td")[0].text for row in rows}


def screenshot(browser, artifacts, name):
    # The whole page, not just the window: resize to the document's height first.
    height = browser.find_element(By.TAG_NAME, "body").size["height"] + 100
    browser.set_window_size(1100, min(max(height, 800), 8000))
    path = artifacts / f"{name}.png"
    assert browser.save_screenshot(str(path)), f"cannot save {path}"
    browser.set_window_size(1100, 1500)


def test_a_pasted_valid_token_shows_every_check_passed_and_the_lineage(browser, server, certified, artifacts):
    ids, certificate, path = certified
    result = paste(browser, server, path.read_text().strip())
    assert result == "VALID: every check made passed (the audience was not checked)"
    assert browser.title == "Certificate valid"
    found = checks(browser)
    # No organisation id was given: the audience is not checked, never shown as passed.
    assert found.pop("audience") == "NOT CHECKED"
    assert len(found) == 10 and set(found.values()) == {"PASSED"}, found
    assert "policies" in found
    assert browser.find_element(By.ID, "status").text == "VALID"
    page = browser.find_element(By.TAG_NAME, "body").text
    # The hostile name is shown as text, and no script came with it.
    assert HOSTILE_NAME in page
    assert browser.find_elements(By.TAG_NAME, "script") == []
    # The lineage picture: the public crawl by name, the private intermediate only counted.
    picture = browser.find_element(By.CSS_SELECTOR, "svg.lineage")
    assert "web-crawl@1" in picture.get_attribute("innerHTML")
    assert "1 hidden dataset(s)" in picture.get_attribute("innerHTML")
    assert "secret-cleaned-crawl" not in browser.page_source
    assert ids["clean"] not in browser.page_source
    assert certificate in page and "MSA-2027-001" in page
    screenshot(browser, artifacts, "verify-valid")


def test_the_paste_path_works_without_javascript(browser_without_javascript, server, certified, artifacts):
    _, _, path = certified
    browser = browser_without_javascript
    assert paste(browser, server, path.read_text().strip()).startswith("VALID: every check made passed")
    screenshot(browser, artifacts, "verify-valid-no-javascript")


def test_a_tampered_token_is_not_valid_and_nothing_it_claims_is_shown(browser, server, certified, artifacts):
    ids, _, path = certified
    header, payload, signature = path.read_text().strip().split(".")
    changed = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    result = paste(browser, server, f"{header}.{changed}.{signature}")
    assert result.startswith("NOT VALID — SIGNATURE DOES NOT VERIFY"), result
    assert browser.title == "Certificate NOT valid"
    assert checks(browser)["signature"] == "FAILED"
    assert checks(browser)["status"] == "NOT CHECKED"
    assert browser.find_element(By.ID, "nothing-shown").is_displayed()
    assert ids["mix"] not in browser.page_source
    screenshot(browser, artifacts, "verify-tampered")


def test_a_revoked_certificate_shows_revoked_and_why(browser, server, certified, artifacts):
    ids, _, _ = certified
    path = server.dir / "revoked.cert.jws"
    certificate = server.issue(ids["mix"], path)
    server.provctl("cert", "revoke", certificate, "--reason", "replaced by the amended contract")
    result = paste(browser, server, path.read_text().strip())
    assert result.startswith("NOT VALID — REVOKED on ") and result.endswith(": replaced by the amended contract")
    assert browser.find_element(By.ID, "status").text == "REVOKED"
    assert checks(browser)["status"] == "FAILED"
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "replaced by the amended contract" in page
    assert f"certificates/{certificate}" in page
    screenshot(browser, artifacts, "verify-revoked")


def test_a_certificate_of_two_policies_shows_each_with_its_verdict_and_obligation(browser, server, artifacts):
    """Llama 3.1 outputs certified under the Llama 3.1 and Llama 2 licences for a model named Llama:
    the policies check passes and the page lists both policies, the naming obligation met."""
    llama, llama_2 = "llama-3.1-community-license", "llama-2-community-license"
    dialogues = server.register("dialogues", "--source", "model=meta-llama/Llama-3.1-8B-Instruct")
    for policy in (llama, llama_2):
        server.provctl(
            "attest", "record", "-q", dialogues, "--policy", policy, "--method", "manual-review",
            "--statement", "Reviewed: Llama 3.1 outputs, for a model named Llama.",
            "--evidence", f"https://example.org/review.pdf={digest('review')}",
        )
    path = server.dir / "dialogues.cert.jws"
    server.issue(dialogues, path, "--policy", llama, "--policy", llama_2, "--target-model", "Llama-3.1-Acme-8B")
    result = paste(browser, server, path.read_text().strip())
    assert result == "VALID: every check made passed (the audience was not checked)", result
    assert checks(browser)["policies"] == "PASSED"
    table = browser.find_element(By.ID, "policies")
    rows = [
        [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert [row[0] for row in rows] == [llama, llama_2]
    assert rows[0][2:5] == ["Naming obligation", "Clean", 'name begins with “Llama”: met']
    assert rows[1][2:5] == ["Prohibition", "Clean", "none"]
    assert all(row[5].endswith("…") for row in rows), rows
    assert table.is_displayed()
    screenshot(browser, artifacts, "verify-two-policies")


def test_an_uploaded_rendered_certificate_is_verified(browser, server, certified, artifacts):
    _, certificate, path = certified
    rendered = server.dir / "contract-certificate.html"
    server.provctl("cert", "render", str(path), "--out", str(rendered))
    open_form(browser, server)
    browser.find_element(By.ID, "file").send_keys(str(rendered))
    assert submit(browser).startswith("VALID: every check made passed")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "contract-certificate.html" in page and certificate in page
    screenshot(browser, artifacts, "verify-uploaded-certificate")


def test_a_file_without_a_certificate_is_refused_with_a_reason(browser, server, artifacts):
    other = server.dir / "holiday.html"
    other.write_text("<html><body>no certificate here</body></html>")
    open_form(browser, server)
    browser.find_element(By.ID, "file").send_keys(str(other))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "no certificate token found" in alert
    # The form is offered again.
    assert browser.find_element(By.ID, "token").is_displayed()


def test_the_rendered_certificate_reads_well_and_prints_to_a4(browser, server, certified, artifacts):
    _, certificate, path = certified
    rendered = server.dir / "printable.html"
    server.provctl("cert", "render", str(path), "--out", str(rendered))
    browser.get(rendered.as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lineage certificate"
    for heading in ["Certified dataset", "Policy and clause", "Lineage", "Attestations", "Validity and status",
                    "Machine-verifiable certificate", "How to verify this certificate independently"]:
        assert browser.find_element(By.XPATH, f"//h2[normalize-space()='{heading}']").is_displayed(), heading
    assert browser.find_element(By.ID, "certificate-token").text.strip() == path.read_text().strip()
    assert browser.find_elements(By.CSS_SELECTOR, "svg.lineage")
    assert HOSTILE_NAME in browser.find_element(By.TAG_NAME, "body").text
    screenshot(browser, artifacts, "rendered-certificate")
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 2 <= pages <= 12, f"{pages} pages"
    (artifacts / "rendered-certificate.pdf").write_bytes(pdf)
