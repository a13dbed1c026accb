"""LAM104's None-default rewrite moves a default from the `def` into the body,
where it is evaluated at each call, in the function's own scope.  It is
offered only when every name the default reads means the same object there;
the per-rule fixtures show the common cases (a local or parameter of that
name, a class attribute, a module name bound again), these the rarer ones."""
from __future__ import annotations

import textwrap

import pytest

from linter.engine import FileOptions, lint_text
from rules import ALL_RULES

HANDLER = '''

        def lambda_handler(event, context):
            return tagged(event["id"])
        '''

REFUSED = {
    "a variable of the enclosing function, rebound after the def": ('''
        def make_tagger(prefix):
            def tagged(item, tags=[prefix]):
                tags.append(item)
                return tags

            prefix = prefix.upper()
            return tagged(prefix)


        def lambda_handler(event, context):
            return make_tagger(event["id"])
        ''', "'prefix' would have its value at the time of the call, and make_tagger() can rebind it"),
    "a module name a function rebinds under global": ('''
        BASE = ("service:orders",)


        def configure(tags):
            global BASE
            BASE = tags


        def tagged(item, tags=list(BASE)):
            tags.append(item)
            return tags


        def lambda_handler(event, context):
            configure(event["tags"])
            return tagged(event["id"])
        ''', "'BASE' would have its value at the time of the call, and the module rebinds or changes it"),
    "a module name changed in place after the def": ('''
        BASE = ["service:orders"]


        def tagged(item, tags=list(BASE)):
            tags.append(item)
            return tags


        BASE.append("team:payments")
        ''' + HANDLER, "'BASE' would have its value at the time of the call, and the module rebinds or changes it"),
    "a name from a star import": ('''
        from settings import *


        def tagged(item, tags=list(BASE_TAGS)):
            tags.append(item)
            return tags
        ''' + HANDLER, "'BASE_TAGS' is not bound in the module, and what it names cannot be checked"),
}

OFFERED = {
    "a comprehension's own variable": '''
        KINDS = ("order", "refund")


        def tagged(item, counts={kind: 0 for kind in KINDS}):
            counts[item] += 1
            return counts
        ''' + HANDLER,
    "a builtin and an import nothing shadows": '''
        from collections import OrderedDict


        def tagged(item, seen=OrderedDict(list())):
            seen[item] = True
            return list(seen)
        ''' + HANDLER,
}


def default_findings(source):
    text = textwrap.dedent(source)
    result = lint_text("app.py", text, FileOptions(frozenset({"LAM104"})), ALL_RULES)
    assert result.errors == []
    findings = [d for d in result.diagnostics if d.code == "LAM104"]
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_no_fix_when_the_body_would_read_another_value(case):
    source, reason = REFUSED[case]
    finding = default_findings(source)
    assert finding.fix is None
    assert f"(no automatic fix: the default would be computed in the body, where {reason})" in finding.message


@pytest.mark.parametrize("case", sorted(OFFERED))
def test_fix_offered_when_every_name_means_the_same(case):
    finding = default_findings(OFFERED[case])
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert "no automatic fix" not in finding.message
