"""The admin in a real headless Chromium: ops ramp, kill, read the audit log; analysts open a
paired output with its boxes; a viewer cannot change a gate; a form without its CSRF token fails."""

from __future__ import annotations

from playwright.sync_api import expect

from rollout.gate_store import get_gate
from tests.browser.signin import sign_in


def test_operator_ramps_to_ten_percent_then_kills(live_admin, page, shots):
    app, base = live_admin
    sign_in(page, base, "ops")
    page.click("#gates a:text(\"ocr-engine\")")
    page.select_option("#stage", "rollout")
    page.fill("#percent", "10")
    page.fill("#reason", "benchmarks not worse; start the ramp")
    page.click("#preview")
    assert "not distinguishable" in page.inner_text("#findings")
    assert "10.0" in page.inner_text("#diff")
    page.click("#confirm")
    assert "ocr-engine updated" in page.inner_text("main")
    config = get_gate(app.extensions["ocrgate"].store, "ocr-engine")
    assert (config.stage.value, config.percent) == ("rollout", 10)
    page.screenshot(path=str(shots / "admin-gate.png"), full_page=True)
    page.goto(base + "/admin/audit")
    first_row = page.locator("table.audit tr").nth(1).inner_text()
    assert "ops" in first_row and "percent: 0.0 → 10.0" in first_row and "start the ramp" in first_row
    page.click("a[data-kill=ocr-engine]")  # from any page, then why
    page.fill("#reason", "drill: candidate reads totals wrong")
    page.click("#confirm-kill")
    assert "killed" in page.inner_text(".flash")
    assert get_gate(app.extensions["ocrgate"].store, "ocr-engine").killed
    page.goto(base + "/admin/audit?action=kill")
    rows = page.locator("table.audit tr")
    assert rows.count() == 2 and "ops" in rows.nth(1).inner_text()


def test_analyst_opens_a_paired_output_with_boxes_drawn(live_admin, page, shots):
    _, base = live_admin
    sign_in(page, base, "viv")
    page.goto(base + "/admin/analysis/pairs")
    page.click("#pairs a >> nth=0")
    for side in ("control", "candidate"):
        # the click returns once the page is parsed; its images may still be in flight
        # (a locator's property check runs outside the page's CSP, which forbids string eval)
        image = page.locator(f"#boxes-{side}")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 100
    assert "TOTAL" in page.inner_text("#pair-diff")
    page.screenshot(path=str(shots / "admin-pair.png"), full_page=True)
    page.goto(base + "/admin/analysis/traffic")
    assert page.locator("img.plot").count() == 2


def test_viewer_cannot_change_a_gate(live_admin, page):
    app, base = live_admin
    sign_in(page, base, "viv")
    page.goto(base + "/admin/gates/ocr-engine")
    assert page.locator("#change-form").count() == 0 and page.locator("[data-kill]").count() == 0
    status = page.evaluate("""async () => {
        const token = document.querySelector('input[name=csrf_token]').value;
        const body = new URLSearchParams({csrf_token: token, version: '2', stage: 'on'});
        return (await fetch('/admin/gates/ocr-engine/apply', {method: 'POST', body})).status; }""")
    assert status == 403
    assert get_gate(app.extensions["ocrgate"].store, "ocr-engine").stage.value == "shadow"


def test_a_form_posted_without_its_csrf_token_is_refused(live_admin, page):
    app, base = live_admin
    sign_in(page, base, "ops")
    page.goto(base + "/admin/gates/ocr-engine")
    page.click("a[data-kill=ocr-engine]")
    page.evaluate("document.querySelectorAll('#kill-form input[name=csrf_token]').forEach(e => e.remove())")
    page.fill("#reason", "drill: candidate reads totals wrong")
    page.click("#confirm-kill")
    assert "CSRF" in page.inner_text("#error-message")
    assert not get_gate(app.extensions["ocrgate"].store, "ocr-engine").killed
