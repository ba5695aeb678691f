"""Width and overlap guard: every reader-, member- and donor-facing page (tests/e2e/pages.py) at 375 and 1280 px, as
an anonymous reader, a paying member and a donor with a monthly gift. A page fails when it scrolls sideways (the
document is wider than the window) or when two visible controls in the site header cover each other.

The defects this guards against shipped because no test looked: the account pages were 1,461 px wide at 1280 and
1,316 px on a phone, and the signed-in header's Account / Sign out / Your membership sat on top of each other."""

from __future__ import annotations

import pytest

from tests.e2e.pages import USERS, WIDTHS, Visitor, visits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in the page. Sideways scroll: the document's scrollWidth against the window's width, with the elements
# that stick out (outermost first) so a failure says where to look. Header controls: links, buttons and fields
# in the site header, each as the boxes it is drawn in (a wrapped link has one per line), cut to what its
# scrolling or clipping ancestors let show; hidden, visually-hidden (1 px) and nested controls are left out.
MEASURE = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const describe = (el) => {
    const label = (el.innerText || el.getAttribute('aria-label') || el.value || '').trim().replace(/\\s+/g, ' ');
    const cls = typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\\s+/).join('.')
      : '';
    return el.tagName.toLowerCase() + cls + (label ? ` "${label.slice(0, 40)}"` : '');
  };
  const contained = (el) => {  // inside a box that scrolls or clips sideways and itself fits the window
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible' && up.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const sticking = [];
  if (doc.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width && box.right > width + 1 && !contained(el) && !sticking.some((outer) => outer.el.contains(el))) {
        sticking.push({el, text: `${describe(el)} to ${Math.round(box.right + window.scrollX)}px`});
      }
    }
  }
  const header = document.querySelector('header.site-header') || document.querySelector('body > header');
  const controls = [];
  if (header) {
    const shown = (el) => {
      const style = getComputedStyle(el);
      return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
    };
    const clip = (rect, el) => {
      let [left, top, right, bottom] = [rect.left, rect.top, rect.right, rect.bottom];
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== 'visible' || style.overflowY !== 'visible' || style.clipPath !== 'none') {
          const box = up.getBoundingClientRect();
          if (style.overflowX !== 'visible') { left = Math.max(left, box.left); right = Math.min(right, box.right); }
          if (style.overflowY !== 'visible') { top = Math.max(top, box.top); bottom = Math.min(bottom, box.bottom); }
        }
      }
      left = Math.max(left, 0); right = Math.min(right, width);
      return right - left > 1 && bottom - top > 1 ? {left, top, right, bottom} : null;
    };
    for (const el of header.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
      if (!shown(el)) continue;
      const boxes = [...el.getClientRects()]
        .filter((r) => r.width > 1 && r.height > 1)
        .map((r) => clip(r, el))
        .filter(Boolean);
      if (boxes.length) controls.push({el, name: describe(el), boxes});
    }
  }
  const overlaps = [];
  const round = (b) => `[${Math.round(b.left)},${Math.round(b.top)} to ${Math.round(b.right)},${Math.round(b.bottom)}]`;
  controls.forEach((a, i) => controls.slice(i + 1).forEach((b) => {
    if (a.el.contains(b.el) || b.el.contains(a.el)) return;
    for (const p of a.boxes) for (const q of b.boxes) {
      const across = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const down = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (across > 1 && down > 1) { overlaps.push(`${a.name} ${round(p)} and ${b.name} ${round(q)}`); return; }
    }
  }));
  return {scrollWidth: doc.scrollWidth, clientWidth: width, sticking: sticking.slice(0, 4).map((s) => s.text),
          header: Boolean(header), controls: controls.length, overlaps};
}"""


def layout_problems(page) -> list[str]:
    """What is wrong with the page's layout as drawn now; empty when nothing is."""
    found = page.evaluate(MEASURE)
    problems = []
    if found["scrollWidth"] > found["clientWidth"]:
        problems.append(
            f"scrolls sideways: {found['scrollWidth']}px wide in a {found['clientWidth']}px window "
            f"(sticking out: {'; '.join(found['sticking']) or 'nothing measurable'})"
        )
    if not found["header"] or not found["controls"]:
        problems.append("no site header with controls to check")
    problems += [f"header controls overlap: {pair}" for pair in found["overlaps"]]
    return problems


@pytest.mark.parametrize("user", USERS)
def test_no_page_scrolls_sideways_or_overlaps_its_header_controls(browser, world, user):
    failures = []
    for width in WIDTHS:
        visitor = Visitor(browser, world, width)
        try:
            for site_page, who in visits():
                if who != user:
                    continue
                try:
                    page = visitor.open(site_page, user)
                except AssertionError as problem:
                    failures.append(f"{site_page.name} at {width}px as {user}: could not open ({problem})")
                    continue
                failures += [f"{site_page.name} at {width}px as {user}: {problem}" for problem in layout_problems(page)]
        finally:
            visitor.close()
    assert not failures, f"{len(failures)} layout problem(s):\n" + "\n".join(failures)


def test_the_guard_sees_a_page_that_scrolls_sideways_and_controls_that_overlap(browser, world):
    """The guard itself: a page made too wide and a header whose two links are drawn on top of each other."""
    visitor = Visitor(browser, world, 375)
    try:
        page = visitor.open(next(p for p, _ in visits() if p.name == "home"), "anonymous")
        assert layout_problems(page) == []
        page.evaluate("""() => {
          // set through the CSSOM: the site's CSP refuses style="" attributes in markup
          const wide = document.createElement('div');
          wide.className = 'too-wide';
          wide.textContent = 'x';
          wide.style.width = '900px';
          document.querySelector('main').appendChild(wide);
          const links = document.querySelectorAll('header.site-header a[href]');
          links[1].style.cssText = 'position: absolute; left: 0; top: 0; width: 200px; height: 40px;';
          links[0].style.cssText = 'position: absolute; left: 10px; top: 10px; width: 200px; height: 40px;';
        }""")
        problems = layout_problems(page)
        assert any("scrolls sideways: 9" in p and "div.too-wide" in p for p in problems), problems
        assert any(p.startswith("header controls overlap") for p in problems), problems
    finally:
        visitor.close()
