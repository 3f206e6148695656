"""Accessibility checks with axe-core, as a person's browser meets the page.

axe-core is an npm package kept under tests/browser/axe/ (never served to people); it is
installed on first use with `npm ci`. Pages run under a strict Content Security Policy, so
the contexts that run axe bypass it (`bypass_csp=True`) to inject the script.
"""

import subprocess
from pathlib import Path

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA and everything below it.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def install_axe() -> Path:
    if not AXE_JS.exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=AXE_DIR,
            check=True,
            timeout=300,
        )
    return AXE_JS


def violations(page) -> list[str]:
    """The serious and critical WCAG 2.2 AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(install_axe()))
    found = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) =>
              n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]),
          }));
        }""",
        TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['nodes'])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page, label: str = "") -> None:
    problems = violations(page)
    where = f"{label} {page.url}".strip()
    assert problems == [], f"axe found WCAG 2.2 AA problems on {where}:\n" + "\n".join(problems)
