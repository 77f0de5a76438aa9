"""Time-bounded minimization of a failing document, by deleting parts of it.

Hypothesis' shrinker re-generates documents through the walker for every
candidate, which for a large failing domain can take minutes; a fuzz campaign
has a time budget. Deleting elements and attributes of the failing tree while
it stays schema-valid and fails the same way gives a small reproducer in
seconds, and never runs past its deadline.
"""
from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable

from lxml import etree

from ..generators.domaingen import to_text


def signature(error: BaseException | str) -> str:
    """What makes two failures 'the same': exception type and message, numbers and quotes blurred."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    first = text.splitlines()[0] if text else ""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\d+", "_", first)[:80]


def minimize(xml: str, check: Callable[[str], None], deadline: float) -> str:
    """The smallest variant of ``xml`` (found before ``deadline``) that ``check`` fails the same way."""
    from virtconform.engine import schema, xmlio

    def fails_same(root: etree._Element, want: str) -> bool:
        text = to_text(copy.deepcopy(root))
        if schema.validate(xmlio.parse_bytes(text.encode(), "<min>")):
            return False
        try:
            check(text)
        except Exception as e:  # noqa: BLE001 - any failure of the same kind counts
            return signature(e) == want
        return False

    try:
        check(xml)
        return xml
    except Exception as e:  # noqa: BLE001
        want = signature(e)
    root = etree.fromstring(xml.encode())
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        for el in reversed([e for e in root.iter() if isinstance(e.tag, str) and e is not root]):
            if time.monotonic() >= deadline:
                break
            parent = el.getparent()
            if parent is None:
                continue
            idx = parent.index(el)
            parent.remove(el)
            if fails_same(root, want):
                progress = True
            else:
                parent.insert(idx, el)
        for el in [e for e in root.iter() if isinstance(e.tag, str)]:
            for name in list(el.attrib):
                if time.monotonic() >= deadline:
                    break
                value = el.attrib.pop(name)
                if fails_same(root, want):
                    progress = True
                else:
                    el.set(name, value)
    return to_text(root)
