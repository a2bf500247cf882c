"""Every relative link of the README and of ``docs/`` names a file that
exists and, with ``#anchor``, a heading of that file (GitHub's slugs)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').rglob('*.md'))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def anchors(path: Path) -> set:
    in_code = False
    found = set()
    for line in path.read_text().splitlines():
        if line.startswith('```'):
            in_code = not in_code
        elif not in_code and line.startswith('#'):
            found.add(slug(line.lstrip('#')))
    return found


def relative_links(path: Path):
    for target in LINK.findall(path.read_text()):
        if not re.match(r'[a-z]+:', target):
            yield target


def test_slug_is_githubs():
    assert slug(" Random walk: sparse against IRN's dense walk") == \
        'random-walk-sparse-against-irns-dense-walk'
    assert slug(' CAM mIoU by training fraction (Table II on MSRC)') == \
        'cam-miou-by-training-fraction-table-ii-on-msrc'


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path):
    broken = []
    for target in relative_links(doc):
        file, _, anchor = target.partition('#')
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            broken.append(f'{target}: no file {dest}')
        elif anchor and dest.suffix == '.md' and anchor not in anchors(dest):
            broken.append(f'{target}: no heading #{anchor} in {dest.name}')
    assert not broken, f'{doc}: ' + '; '.join(broken)
